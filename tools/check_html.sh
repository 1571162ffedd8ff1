#!/usr/bin/env bash
# Loads report.html in headless Chromium (no network) and checks that the rendered page
# has the summary table with one row per run and every chart. Usage: check_html.sh DIR
set -euo pipefail
dir="$(cd "$1" && pwd)"
browser="$(command -v chromium || command -v chromium-browser)"
profile="$(mktemp -d)"
dom="$(mktemp)"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --virtual-time-budget=5000 \
  --dump-dom "file://$dir/report.html" > "$dom" 2>/dev/null
runs=$(($(wc -l < "$dir/summary.csv") - 1))
rows=$(grep -o '<tr>' "$dom" | wc -l)
figures=$(grep -o '<figure' "$dom" | wc -l)
charts=$(ls "$dir"/charts/*.svg | wc -l)
svgs=$(grep -o '<svg' "$dom" | wc -l)
grep -q 'id="summary"' "$dom" || { echo "check_html: no summary table in the rendered page"; exit 1; }
# Header row + one row per run.
[ "$rows" -eq $((runs + 1)) ] || { echo "check_html: $rows table rows for $runs runs"; exit 1; }
# Every chart is a figure with its static SVG; the line charts also drew an interactive
# one (the script ran): a legend of toggle buttons, a zoom reset, and one polyline per line.
interactive=$(grep -o 'class="interactive"' "$dom" | wc -l)
drawn=$(grep -o 'class="ichart"' "$dom" | wc -l)
[ "$figures" -eq "$charts" ] && [ "$svgs" -eq $((charts + drawn)) ] || { echo "check_html: $figures figures, $svgs svg, $charts charts, $drawn interactive"; exit 1; }
[ "$interactive" -ge 2 ] && [ "$drawn" -eq "$interactive" ] || { echo "check_html: $drawn of $interactive interactive charts drawn"; exit 1; }
grep -q 'class="reset"' "$dom" && grep -q 'class="entry"' "$dom" || { echo "check_html: no legend toggles or zoom reset"; exit 1; }
# The verdict ranks every run; the column chooser offers every summary column.
grep -q '<section id="verdict">' "$dom" || { echo "check_html: no verdict"; exit 1; }
ranked=$(sed -n '/<section id="verdict">/,/<\/section>/p' "$dom" | grep -o '<li>' | wc -l)
[ "$ranked" -eq "$runs" ] || { echo "check_html: the verdict ranks $ranked of $runs runs"; exit 1; }
columns=$(head -1 "$dir/summary.csv" | tr ',' '\n' | wc -l)
boxes=$(grep -o 'type="checkbox" data-col=' "$dom" | wc -l)
[ "$boxes" -eq "$columns" ] || { echo "check_html: the column chooser offers $boxes of $columns columns"; exit 1; }
echo "check_html: report.html rendered in Chromium: verdict ranking $runs runs, summary table with a chooser of $columns columns, $charts charts ($drawn interactive)"

# The interactive charts respond: a copy of the page with a probe script hovers the
# first line chart (its tooltip shows values), drags across it (zoom changes the time
# axis), and clicks its first legend entry (one line fewer).
probe="$dir/.probe.html"
trap 'rm -f "$probe"' EXIT
{ cat "$dir/report.html"; cat <<'JS'
<script>
window.addEventListener('load', function () {
  var box = document.querySelector('figure.interactive .ichart');
  var svg = box.querySelector('svg'), r = svg.getBoundingClientRect();
  var at = function (f) { return { clientX: r.left + r.width * f, clientY: r.top + r.height / 2, bubbles: true }; };
  svg.dispatchEvent(new MouseEvent('mousemove', at(0.5)));
  var tip = box.querySelector('.tip');
  var hover = tip.style.display === 'block' && /\d/.test(tip.textContent);
  var labels = function () { return Array.from(box.querySelectorAll('svg text')).map(function (t) { return t.textContent; }).join('|'); };
  var before = labels();
  svg.dispatchEvent(new MouseEvent('mousedown', at(0.3)));
  svg.dispatchEvent(new MouseEvent('mousemove', at(0.6)));
  window.dispatchEvent(new MouseEvent('mouseup', at(0.6)));
  var zoom = labels() !== before;
  var lines = box.querySelectorAll('svg polyline').length;
  box.querySelector('.entry').click();
  var toggle = box.querySelectorAll('svg polyline').length === lines - 1;
  // Every interactive chart (lines, categories, lanes, bars) answers a hover at its middle.
  var boxes = Array.from(document.querySelectorAll('figure.interactive .ichart'));
  var answered = boxes.filter(function (b) {
    var s = b.querySelector('svg');
    s.scrollIntoView({ block: 'center' });
    var q = s.getBoundingClientRect();
    var target = document.elementFromPoint(q.left + q.width * 0.5, q.top + q.height * 0.45);
    if (!target || !s.contains(target)) return false;
    target.dispatchEvent(new MouseEvent('mousemove', { clientX: q.left + q.width * 0.5, clientY: q.top + q.height * 0.45, bubbles: true }));
    var t = b.querySelector('.tip');
    return t.style.display === 'block' && t.textContent.length > 0;
  }).length;
  document.body.setAttribute('data-probe', [hover, zoom, toggle].join(',') + ';' + answered + '/' + boxes.length);
});
</script>
JS
} > "$probe"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d)" --window-size=1400,1000 --virtual-time-budget=5000 \
  --dump-dom "file://$probe" 2>/dev/null | grep -o 'data-probe="[^"]*"' > "$dom.probe" || true
grep -q 'data-probe="true,true,true;' "$dom.probe" || { echo "check_html: the charts did not respond (hover, zoom, legend): $(cat "$dom.probe")"; exit 1; }
answered="$(sed -e 's/.*;\([0-9]*\)\/\([0-9]*\)"/\1 \2/' "$dom.probe")"
read -r got of <<< "$answered"
[ "$got" -eq "$of" ] && [ "$of" -eq "$drawn" ] || { echo "check_html: $got of $of interactive charts answered a hover ($drawn drawn)"; exit 1; }
echo "check_html: the first line chart answers hover (values shown), a drag (zoomed) and a legend click (line hidden); all $of interactive charts answer a hover"

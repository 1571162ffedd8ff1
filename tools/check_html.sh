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
[ "$figures" -eq "$charts" ] && [ "$svgs" -eq "$charts" ] || { echo "check_html: $figures figures, $svgs svg, $charts charts"; exit 1; }
echo "check_html: report.html rendered in Chromium: summary table with $runs runs, $charts charts"

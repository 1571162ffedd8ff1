// yieldlab's interactive line charts (report.html; no network, no library). Each
// figure element with a JSON script child of class chart-data gets an
// SVG drawn from that data in place of its static SVG (which stays for readers without
// JavaScript): hover for the values at a time, drag across to zoom, double-click or
// "reset zoom" to go back, click a legend entry to hide or show its line. A chart of
// categories (a sweep's parameter values, `cats`) puts them on its x axis; a chart of
// lanes (`lanes` and `spans`: which pool held the capital when) draws a bar per stretch
// and names the lane and its dates on hover. The attribution's stacked bars show a
// run's buckets on hover.
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var W = 1100, H = 520, L = 90, R = 20, T = 16, B = 46;
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function esc(t) { return t.replace(/&/g, '&amp;').replace(/</g, '&lt;'); }
  function fmtX(d, x) {
    if (d.cats) return d.cats[Math.round(x)] === undefined ? '' : d.cats[Math.round(x)];
    if (!d.time) return (Math.round(x * 1000) / 1000).toString();
    return new Date(x * 1000).toISOString().slice(0, 16).replace('T', ' ');
  }
  function fmtY(y, span) {
    if (Math.abs(y) < 1e-9 * (span || 1)) y = 0;
    var digits = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(span || 1))));
    return y.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
    var err = (hi - lo) / n / step;
    if (err >= 5) step *= 10; else if (err >= 2) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }
  // Index of the point of `pts` nearest to x (points sorted by x).
  function nearest(pts, x) {
    var a = 0, b = pts.length - 1;
    if (b < 0) return -1;
    while (b - a > 1) { var m = (a + b) >> 1; if (pts[m][0] < x) a = m; else b = m; }
    return Math.abs(pts[a][0] - x) <= Math.abs(pts[b][0] - x) ? a : b;
  }
  // A chart's frame: its title, legend bar, drawing and hover box; the static SVG of
  // the figure is hidden once the frame is in place (`show`).
  function frame(fig, d) {
    var f = { box: document.createElement('div'), bar: document.createElement('div'),
      tip: document.createElement('div'),
      svg: el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': d.title }) };
    var title = document.createElement('div');
    title.className = 'ctitle';
    title.textContent = d.title;
    f.box.className = 'ichart'; f.bar.className = 'legend'; f.tip.className = 'tip';
    [title, f.bar, f.svg, f.tip].forEach(function (e) { f.box.appendChild(e); });
    f.show = function () {
      var fallback = fig.querySelector('svg');
      if (fallback) fallback.style.display = 'none';
      fig.appendChild(f.box);
    };
    // The hover box beside the pointer, kept inside the chart.
    f.place = function (ev) {
      var b = f.box.getBoundingClientRect();
      var left = ev.clientX - b.left + 16;
      if (left + 280 > b.width) left = ev.clientX - b.left - 296;
      f.tip.style.left = Math.max(0, left) + 'px';
      f.tip.style.top = (ev.clientY - b.top + 10) + 'px';
      f.tip.style.display = 'block';
    };
    return f;
  }
  function chart(fig, d) {
    var f = frame(fig, d), bar = f.bar, svg = f.svg, tip = f.tip;
    var lanes = d.lanes || null, L = lanes ? 190 : 90;
    var reset = document.createElement('button');
    reset.textContent = 'reset zoom';
    reset.className = 'reset';
    var shown = d.lines.map(function () { return true; });
    var all = [Infinity, -Infinity];
    d.lines.forEach(function (l) {
      if (l.points.length) {
        all[0] = Math.min(all[0], l.points[0][0]);
        all[1] = Math.max(all[1], l.points[l.points.length - 1][0]);
      }
    });
    (d.spans || []).forEach(function (s) { all[0] = Math.min(all[0], s[1]); all[1] = Math.max(all[1], s[2]); });
    if (d.cats) { all = [-0.5, d.cats.length - 0.5]; }
    var view = all.slice();
    d.lines.forEach(function (l, k) {
      var b = document.createElement('button');
      b.className = 'entry';
      b.innerHTML = '<span class="sw" style="border-top:3px ' + (l.dashed ? 'dashed ' : 'solid ') + l.color + '"></span>';
      b.appendChild(document.createTextNode(l.label));
      b.addEventListener('click', function () {
        shown[k] = !shown[k];
        b.classList.toggle('off', !shown[k]);
        draw();
      });
      bar.appendChild(b);
    });
    bar.appendChild(reset);
    reset.addEventListener('click', function () { view = all.slice(); draw(); });
    var sx, sy, yr;
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var lo = Infinity, hi = -Infinity;
      d.lines.forEach(function (l, k) {
        if (!shown[k]) return;
        l.points.forEach(function (p) {
          if (p[0] >= view[0] && p[0] <= view[1]) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
        });
      });
      if (!(hi >= lo)) { lo = 0; hi = 1; }
      if (hi === lo) { hi += 1; lo -= 1; }
      var pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
      if (lanes) { lo = -0.5; hi = lanes.length - 0.5; }
      yr = [lo, hi];
      sx = function (x) { return L + (x - view[0]) / (view[1] - view[0] || 1) * (W - L - R); };
      sy = function (y) { return T + (hi - y) / (hi - lo) * (H - T - B); };
      el('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: 'white', stroke: '#999' }, svg);
      (lanes ? lanes.map(function (_, k) { return k; }) : ticks(lo, hi, 7)).forEach(function (v) {
        el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: '#e4e4e4' }, svg);
        var t = el('text', { x: L - 6, y: sy(v) + 4, 'text-anchor': 'end', 'font-size': 12 }, svg);
        t.textContent = lanes ? (lanes[v].length > 26 ? lanes[v].slice(0, 25) + '\u2026' : lanes[v]) : fmtY(v, hi - lo);
      });
      var xt = ticks(view[0], view[1], 7);
      if (d.cats) {
        xt = [];
        var every = Math.max(1, Math.ceil((view[1] - view[0]) / 12));
        for (var c = Math.ceil(view[0]); c <= view[1]; c += every) xt.push(c);
      }
      xt.forEach(function (v) {
        if (!d.cats && (sx(v) < L + 30 || sx(v) > W - R - 30)) return;
        var t = el('text', { x: sx(v), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 12 }, svg);
        t.textContent = d.time ? fmtX(d, v).slice(0, 10) : fmtX(d, v);
      });
      var xl = el('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 13 }, svg);
      xl.textContent = d.x;
      var yl = el('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', 'font-size': 13,
        transform: 'rotate(-90 14 ' + (T + H - B) / 2 + ')' }, svg);
      yl.textContent = d.y;
      var clip = 'clip' + Math.random().toString(36).slice(2);
      var cp = el('clipPath', { id: clip }, el('defs', {}, svg));
      el('rect', { x: L, y: T, width: W - L - R, height: H - T - B }, cp);
      var g = el('g', { 'clip-path': 'url(#' + clip + ')' }, svg);
      (d.spans || []).forEach(function (s) {
        if (s[2] < view[0] || s[1] > view[1]) return;
        var band = (sy(0) - sy(1)) * 0.6;
        el('rect', { x: sx(s[1]), width: Math.max(1, sx(s[2]) - sx(s[1])), y: sy(s[0]) - band / 2,
          height: band, fill: d.colors[s[0] % d.colors.length] }, g);
      });
      d.lines.forEach(function (l, k) {
        if (!shown[k]) return;
        var pts = l.points.filter(function (p) { return p[0] >= view[0] && p[0] <= view[1]; });
        el('polyline', {
          points: pts.map(function (p) { return sx(p[0]).toFixed(1) + ',' + sy(p[1]).toFixed(1); }).join(' '),
          fill: 'none', stroke: l.color, 'stroke-width': l.dashed ? 1 : 2,
          'stroke-dasharray': l.dashed ? '6 4' : 'none'
        }, g);
      });
      rule = el('line', { y1: T, y2: H - B, stroke: '#555', 'stroke-width': 1, visibility: 'hidden' }, svg);
      sel = el('rect', { y: T, height: H - T - B, fill: 'rgba(60,120,200,0.15)', visibility: 'hidden' }, svg);
    }
    var rule, sel, drag = null;
    function dataX(ev) {
      var r = svg.getBoundingClientRect();
      var px = (ev.clientX - r.left) / r.width * W;
      return { px: px, x: view[0] + (px - L) / (W - L - R) * (view[1] - view[0]) };
    }
    svg.addEventListener('mousemove', function (ev) {
      var p = dataX(ev);
      if (p.px < L || p.px > W - R) { tip.style.display = 'none'; rule.setAttribute('visibility', 'hidden'); return; }
      if (drag !== null) {
        sel.setAttribute('x', Math.min(drag.px, p.px));
        sel.setAttribute('width', Math.abs(p.px - drag.px));
        sel.setAttribute('visibility', 'visible');
      }
      var rows = [], at = null;
      if (lanes) {
        (d.spans || []).forEach(function (s) {
          if (p.x >= s[1] && p.x <= s[2]) {
            at = p.x;
            rows.push('<div><b>' + esc(lanes[s[0]]) + '</b></div><div>' + fmtX(d, s[1]) + ' \u2192 ' + fmtX(d, s[2]) + '</div>');
          }
        });
      }
      d.lines.forEach(function (l, k) {
        if (!shown[k]) return;
        var i = nearest(l.points, p.x);
        if (i < 0) return;
        var q = l.points[i];
        if (at === null) at = q[0];
        rows.push('<div><span class="sw" style="border-top:3px solid ' + l.color + '"></span>' +
          esc(l.label) + ': <b>' + fmtY(q[1], yr[1] - yr[0]) + '</b></div>');
      });
      if (at === null) return;
      rule.setAttribute('x1', sx(at)); rule.setAttribute('x2', sx(at));
      rule.setAttribute('visibility', 'visible');
      tip.innerHTML = '<div class="when">' + fmtX(d, at) + '</div>' + rows.join('');
      f.place(ev);
    });
    svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; rule.setAttribute('visibility', 'hidden'); });
    svg.addEventListener('mousedown', function (ev) { drag = dataX(ev); ev.preventDefault(); });
    window.addEventListener('mouseup', function (ev) {
      if (drag === null) return;
      var p = dataX(ev), a = Math.min(drag.x, p.x), b = Math.max(drag.x, p.x);
      drag = null;
      sel.setAttribute('visibility', 'hidden');
      if (b - a > (view[1] - view[0]) / 200) {
        view = [Math.max(a, all[0]), Math.min(b, all[1])];
        draw();
      }
    });
    svg.addEventListener('dblclick', function () { view = all.slice(); draw(); });
    draw();
    f.show();
  }
  // Stacked bars (the attribution): positives up and negatives down in bucket order;
  // hover a bar for its run's buckets and total; click a legend entry to leave a
  // bucket out.
  function bars(fig, d) {
    var f = frame(fig, d), bar = f.bar, svg = f.svg, tip = f.tip;
    var shown = d.buckets.map(function () { return true; });
    d.buckets.forEach(function (b, k) {
      var e = document.createElement('button');
      e.className = 'entry';
      e.innerHTML = '<span class="sw" style="border-top:8px solid ' + b.color + '"></span>';
      e.appendChild(document.createTextNode(b.label));
      e.addEventListener('click', function () { shown[k] = !shown[k]; e.classList.toggle('off', !shown[k]); draw(); });
      bar.appendChild(e);
    });
    // Many runs: their names turned upright under the bars, the drawing as tall as
    // the longest needs (up to 40 characters, the end kept: where runs differ).
    var n = d.runs.length, many = n > 7;
    var names = d.runs.map(function (r) { return r.length > 40 ? '\u2026' + r.slice(-39) : r; });
    var longest = names.reduce(function (m, r) { return Math.max(m, r.length); }, 0);
    var BT = many ? 24 + Math.ceil(6.6 * longest) : 60, HB = H - 120 + BT;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + HB);
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var lo = 0, hi = 0;
      d.runs.forEach(function (_, r) {
        var up = 0, down = 0;
        d.buckets.forEach(function (b, k) { if (!shown[k]) return; var v = b.values[r]; if (v > 0) up += v; else down += v; });
        hi = Math.max(hi, up); lo = Math.min(lo, down);
      });
      if (hi === lo) hi = lo + 1;
      var pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
      var sy = function (y) { return T + (hi - y) / (hi - lo) * (HB - T - BT); };
      var slot = (W - L - R) / Math.max(n, 1);
      el('rect', { x: L, y: T, width: W - L - R, height: HB - T - BT, fill: 'white', stroke: '#999' }, svg);
      ticks(lo, hi, 7).forEach(function (v) {
        el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: '#e4e4e4' }, svg);
        var t = el('text', { x: L - 6, y: sy(v) + 4, 'text-anchor': 'end', 'font-size': 12 }, svg);
        t.textContent = fmtY(v, hi - lo);
      });
      el('line', { x1: L, x2: W - R, y1: sy(0), y2: sy(0), stroke: '#555' }, svg);
      var yl = el('text', { x: 14, y: (T + HB - BT) / 2, 'text-anchor': 'middle', 'font-size': 13,
        transform: 'rotate(-90 14 ' + (T + HB - BT) / 2 + ')' }, svg);
      yl.textContent = d.y;
      d.runs.forEach(function (name, r) {
        var x = L + slot * r + slot * 0.15, w = slot * 0.7, up = 0, down = 0;
        d.buckets.forEach(function (b, k) {
          var v = b.values[r];
          if (!shown[k] || v === 0) return;
          var y0 = v > 0 ? up : down, y1 = y0 + v;
          if (v > 0) up = y1; else down = y1;
          el('rect', { x: x, width: w, y: Math.min(sy(y0), sy(y1)), height: Math.abs(sy(y0) - sy(y1)), fill: b.color }, svg);
        });
        var hit = el('rect', { x: L + slot * r, width: slot, y: T, height: HB - T - BT, fill: 'transparent' }, svg);
        hit.addEventListener('mousemove', function (ev) {
          var total = 0, rows = [];
          d.buckets.forEach(function (b, k) {
            if (!shown[k]) return;
            total += b.values[r];
            if (b.values[r] !== 0) rows.push('<div><span class="sw" style="border-top:8px solid ' + b.color + '"></span>' +
              b.label + ': <b>' + fmtY(b.values[r], 100) + '</b></div>');
          });
          tip.innerHTML = '<div class="when">' + esc(name) + '</div>' + rows.join('') +
            '<div>total: <b>' + fmtY(total, 100) + '</b></div>';
          f.place(ev);
        });
        hit.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
        var tx = L + slot * (r + 0.5), ty = HB - BT + 10;
        var t = el('text', { x: tx, y: ty + (many ? 0 : 6), 'font-size': 12, 'text-anchor': many ? 'end' : 'middle',
          'dominant-baseline': many ? 'middle' : 'auto', transform: many ? 'rotate(-90 ' + tx + ' ' + ty + ')' : '' }, svg);
        t.textContent = names[r];
      });
    }
    draw();
    f.show();
  }
  document.querySelectorAll('figure script.chart-data').forEach(function (s) {
    try {
      var d = JSON.parse(s.textContent);
      if (d.kind === 'bars') bars(s.closest('figure'), d); else chart(s.closest('figure'), d);
    } catch (e) { /* the static SVG stays */ }
  });
})();

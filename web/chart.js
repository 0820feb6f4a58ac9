// chart.js: bar and line charts as plain inline SVG, for the Reports page.
// No library and nothing inline that the CSP forbids: shapes carry classes
// (app.css colours them), positions are SVG attributes. Each chart is an
// <svg role="img"> named by its <title> and described by a <desc> with the
// figures; each bar or point has a <title> of its own (a tooltip, read by
// screen readers), and the page shows the same figures in a table.
//
//   barChart({ title, labels, ticks, values, unit, format, minStep })
//   lineChart({ title, labels, ticks, values, unit, format, minStep })
// labels: what each value is of (strings; on the x axis unless ticks, a
// shorter text for each, is given), values: numbers (>= 0), unit: what a value
// counts ("calls"), format: value -> text (default: as is), minStep: the
// smallest step between gridlines, the data's resolution (1 for counts: no
// gridline at half a call; 0.1 for minutes to one decimal).

const NS = 'http://www.w3.org/2000/svg';
const W = 480; // the viewBox; the SVG scales to its box (app.css)
const H = 220;
const PAD = { top: 12, right: 12, bottom: 44, left: 48 };
const MAX_X_LABELS = 7;
let serial = 0;

function el(name, attrs = {}, ...children) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// A round step for about five gridlines up to max: 1, 2, 5 x 10^n.
function niceStep(max) {
  if (!(max > 0)) return 1;
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// The frame shared by both kinds: the svg, its title and desc, the y axis
// with gridlines, the x labels (every n-th when there are many), and the
// x/y mapping the marks use.
function frame({ title, labels, ticks, values, unit, format = String, minStep = 0 }, kind) {
  const id = `chart-${++serial}`;
  const max = Math.max(0, ...values);
  const step = Math.max(minStep, niceStep(max));
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const n = Math.max(1, labels.length);
  const slot = plotW / n;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;
  const x = (i) => PAD.left + slot * (i + 0.5);
  const desc = labels.length
    ? labels.map((l, i) => `${l}: ${format(values[i])} ${unit}`).join('; ')
    : 'No data.';
  const svg = el('svg', {
    class: `chart chart-of-${kind}`, viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, preserveAspectRatio: 'xMidYMid meet',
  }, el('title', { id: `${id}-title` }, title), el('desc', { id: `${id}-desc` }, desc));

  const axis = el('g', { class: 'chart-axis', 'aria-hidden': 'true' });
  for (let v = 0; v <= top + step / 2; v += step) {
    axis.append(el('line', { class: 'chart-grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    axis.append(el('text', { class: 'chart-tick', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(+v.toFixed(6))));
  }
  const every = Math.ceil(labels.length / MAX_X_LABELS);
  (ticks || labels).forEach((l, i) => {
    if (i % every) return;
    axis.append(el('text', { class: 'chart-tick', x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle' }, l));
  });
  axis.append(el('line', { class: 'chart-baseline', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }));
  axis.append(el('text', { class: 'chart-unit', x: PAD.left, y: H - 6 }, unit));
  svg.append(axis);
  return { svg, x, y, slot };
}

// Vertical bars, one per label.
export function barChart(opts) {
  const { svg, x, y, slot } = frame(opts, 'bar');
  const { labels, values, unit, format = String } = opts;
  const bw = Math.max(1, Math.min(48, slot * 0.7));
  const marks = el('g', { class: 'chart-marks' });
  labels.forEach((l, i) => {
    const v = values[i];
    const top = y(v);
    marks.append(el('rect', {
      class: 'chart-bar', x: x(i) - bw / 2, y: top, width: bw, height: Math.max(0, y(0) - top),
      'data-label': l, 'data-value': v,
    }, el('title', {}, `${l}: ${format(v)} ${unit}`)));
  });
  svg.append(marks);
  return svg;
}

// A line through one point per label, each point marked.
export function lineChart(opts) {
  const { svg, x, y } = frame(opts, 'line');
  const { labels, values, unit, format = String } = opts;
  const marks = el('g', { class: 'chart-marks' });
  if (labels.length) {
    marks.append(el('polyline', { class: 'chart-line', points: labels.map((_, i) => `${x(i)},${y(values[i])}`).join(' ') }));
  }
  labels.forEach((l, i) => {
    marks.append(el('circle', {
      class: 'chart-point', cx: x(i), cy: y(values[i]), r: 3.5, 'data-label': l, 'data-value': values[i],
    }, el('title', {}, `${l}: ${format(values[i])} ${unit}`)));
  });
  svg.append(marks);
  return svg;
}

// reports.js: #/reports — usage over a date range (GET /reports/usage):
// calls and minutes per day, minutes per dial-in number and peak concurrent
// calls as charts (chart.js), the figures as a table grouped as chosen, and
// the same table as a CSV download. Days are UTC days, as the API counts.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, field, problemText, fmtNumber } from './ui.js';
import { barChart, lineChart } from './chart.js';

const GROUPS = [
  { name: 'day', label: 'Day' },
  { name: 'number', label: 'Dial-in number' },
  { name: 'user', label: 'User' },
  { name: 'conference', label: 'Conference ID' },
];
const DAY_MS = 86400000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const isoDay = (t) => new Date(t).toISOString().slice(0, 10);
const minutes = (m) => (Math.round(m * 10) / 10).toFixed(1);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// What a group's key reads as in the table and on the charts' axes.
function keyText(by, g) {
  if (by === 'number') return g.key ? fmtNumber(g.key) : 'Not a number of ours';
  if (by === 'user') return g.key ? g.displayName || g.email || `User ${g.key}` : 'No user';
  if (by === 'conference') return g.key || 'No conference reached';
  return g.key;
}

function usage(from, to, groupBy) {
  return api.get('/reports/usage', { query: { from, to, groupBy } });
}

function csvHref(from, to, groupBy) {
  return '/api/v1/reports/usage?' + new URLSearchParams({ from, to, groupBy, format: 'csv' }).toString();
}

function chartCard(id, caption, svg) {
  return h(`figure.card.chart-card#${id}`, h('figcaption', caption), svg);
}

function charts(days, numbers) {
  const dayLabels = days.groups.map((g) => g.key.slice(5)); // "12-01"
  const fullDays = days.groups.map((g) => g.key);
  const numLabels = numbers.groups.map((g) => keyText('number', g));
  return h('div.charts',
    chartCard('chart-calls', 'Calls per day', barChart({
      title: 'Calls per day (UTC)', labels: fullDays, ticks: dayLabels,
      values: days.groups.map((g) => g.calls), unit: 'calls', minStep: 1,
    })),
    chartCard('chart-minutes', 'Minutes per day', lineChart({
      title: 'Minutes in conferences per day (UTC)', labels: fullDays, ticks: dayLabels,
      values: days.groups.map((g) => g.minutes), unit: 'minutes', format: minutes, minStep: 0.1,
    })),
    chartCard('chart-numbers', 'Minutes per dial-in number', barChart({
      title: 'Minutes in conferences per dial-in number', labels: numLabels,
      values: numbers.groups.map((g) => g.minutes), unit: 'minutes', format: minutes, minStep: 0.1,
    })),
    chartCard('chart-peak', 'Peak concurrent calls per day', lineChart({
      title: 'Peak concurrent calls per day (UTC)', labels: fullDays, ticks: dayLabels,
      values: days.groups.map((g) => g.peakConcurrentCalls), unit: 'calls at once', minStep: 1,
    })),
  );
}

export async function reportsPage(ctx) {
  const today = isoDay(Date.now());
  const param = (k, dflt, ok) => (ok(ctx.params.get(k) || '') ? ctx.params.get(k) : dflt);
  const from = h('input#report-from', { type: 'date', name: 'from', required: true,
    value: param('from', isoDay(Date.now() - 29 * DAY_MS), (v) => DATE_RE.test(v)) });
  const to = h('input#report-to', { type: 'date', name: 'to', required: true,
    value: param('to', today, (v) => DATE_RE.test(v)) });
  const by = h('select#report-group', { name: 'groupBy' }, GROUPS.map((g) => h('option', { value: g.name }, g.label)));
  by.value = param('groupBy', 'day', (v) => GROUPS.some((g) => g.name === v));
  const show = h('button.primary', { type: 'submit' }, 'Show');
  const form = h('form.report-form', { novalidate: true },
    field('From', from), field('To (through that day)', to), field('Table by', by), h('div.field', show));
  const msg = messageBox();
  const summary = h('p.report-summary', { role: 'status' });
  const chartsBox = h('div');
  const download = h('a.button-link#report-csv', { href: '#' }, 'Download CSV');
  const tableBox = h('div');
  ctx.main.append(pageHeader('Reports'), h('p.muted', 'Usage of the dial-in conferences. Days are UTC days.'),
    form, msg, summary, chartsBox,
    h('div.section-head', h('h2', 'Figures'), download), tableBox);

  async function load() {
    const f = from.value;
    const t = to.value;
    const g = by.value;
    window.history.replaceState(null, '', '#/reports?' + new URLSearchParams({ from: f, to: t, groupBy: g }).toString());
    download.href = csvHref(f, t, g);
    download.setAttribute('download', `dialconf-usage-${g}-${f}-${t}.csv`);
    try {
      const [days, numbers] = await Promise.all([usage(f, t, 'day'), usage(f, t, 'number')]);
      const rows = g === 'day' ? days : g === 'number' ? numbers : await usage(f, t, g);
      if (!ctx.alive()) return;
      say(msg, '', '');
      const tot = days.totals;
      summary.textContent = `${minutes(tot.minutes)} minutes · ${plural(tot.calls, 'call', 'calls')} · `
        + `${plural(tot.uniqueCallers, 'unique caller', 'unique callers')} · peak ${tot.peakConcurrentCalls} at once`
        + ` (${days.from.slice(0, 10)} to ${isoDay(Date.parse(days.to) - 1)}, UTC)`;
      chartsBox.replaceChildren(charts(days, numbers));
      const label = GROUPS.find((x) => x.name === g).label;
      const cols = [{ label, className: g === 'day' || g === 'conference' ? 'mono' : null, cell: (r) => keyText(g, r) }];
      if (g === 'number') cols.push({ label: 'Where', cell: (r) => (r.key ? r.label || '—' : '—') });
      if (g === 'user') cols.push({ label: 'Email', cell: (r) => r.email || '—' });
      cols.push(
        { label: 'Minutes', className: 'num', cell: (r) => minutes(r.minutes) },
        { label: 'Calls', className: 'num', cell: (r) => String(r.calls) },
        { label: 'Unique callers', className: 'num', cell: (r) => String(r.uniqueCallers) },
        { label: 'Peak concurrent', className: 'num', cell: (r) => String(r.peakConcurrentCalls) },
      );
      tableBox.replaceChildren(table(`Usage by ${label.toLowerCase()}`, cols, rows.groups,
        { empty: 'No calls in this range.' }));
    } catch (err) {
      if (!ctx.alive()) return;
      say(msg, 'error', problemText(err));
      summary.textContent = '';
      chartsBox.replaceChildren();
      tableBox.replaceChildren();
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(show, load);
  });
  by.addEventListener('change', () => busy(show, load));
  await load();
}

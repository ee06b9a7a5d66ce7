/**
 * The inspector page: one HTML document with its CSS and script inline (no CDN, nothing fetched but our
 * own `/api/events`). The chart SVG is rendered by the server from the machine definition and embedded;
 * the script only toggles classes on it. The page has no control that sends anything to the actors.
 */

const STYLE = `
:root { color-scheme: light; --fg:#1f2933; --muted:#66788a; --line:#d5dde5; --accent:#b45309; --bg:#f7f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; padding: 10px 20px; background: #1f2933; color: #fff; }
header h1 { font-size: 18px; margin: 0; }
header .sub { color: #cbd5e0; font-size: 13px; }
#conn { margin-left: auto; font-size: 13px; }
#conn.live::before { content: '\\25CF '; color: #34d399; }
#conn.down::before { content: '\\25CF '; color: #f87171; }
main { padding: 12px 20px 30px; display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; }
.table-wrap { overflow-x: auto; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
h2 { font-size: 15px; margin: 0 0 8px; }
h2 .hint { font-weight: normal; color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.error { white-space: normal; color: #b91c1c; max-width: 420px; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f1f5f9; }
tbody tr.selected { background: #fef3c7; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-family: ui-monospace, monospace; }
.badge.idle { background: #dcfce7; color: #166534; }
.badge.busy { background: #fde68a; color: #92400e; }
.badge.loading, .badge.unloading { background: #dbeafe; color: #1e40af; }
.badge.unloaded { background: #e5e7eb; color: #374151; }
.empty { color: var(--muted); padding: 8px; }
#chart-wrap, #instance-chart-wrap { overflow-x: auto; }
#chart-wrap svg { width: 100%; min-width: 1100px; height: auto; display: block; }
svg .box { fill: #fff; stroke: #52606d; stroke-width: 1.2; }
svg .compound > .box { fill: #f8fafc; }
svg .name { font-weight: bold; font-size: 14px; fill: #1f2933; }
svg .info { fill: #52606d; }
svg .label { fill: #1e3a8a; }
svg .edge { fill: none; stroke: #7b8794; stroke-width: 1.2; }
svg .arrowhead, svg .initial { fill: #52606d; }
svg .state.active > .box { fill: #fde68a; stroke: var(--accent); stroke-width: 3; }
svg .state.compound.active > .box { fill: #fff7e0; }
svg .state.active > .name { fill: #7c2d12; }
.logbar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; font-size: 13px; }
.logbar input[type=search] { width: 220px; }
#log { font: 12px/1.45 ui-monospace, 'DejaVu Sans Mono', monospace; max-height: 320px; overflow-y: auto; }
#log div { padding: 1px 0; border-bottom: 1px dotted #eef2f6; white-space: pre-wrap; overflow-wrap: anywhere; }
#log .t { color: var(--muted); }
#log .c { color: #0f766e; }
#log .kind-transition { color: #7c2d12; }
#log .out-failed, #log .out-err { color: #b91c1c; }
#log .out-ok { color: #166534; }
#log .fields { margin: 2px 0 4px 24px; color: var(--fg); }
#log .field { margin: 1px 0; }
#log .field b { color: var(--muted); font-weight: 600; }
#log .field.error code, #log .field.error pre { color: #b91c1c; }
#log .field.stderr code, #log .field.stderr pre { color: #92400e; }
#log details summary { cursor: pointer; }
#log details pre { margin: 2px 0 2px 16px; padding: 4px 6px; background: #f1f5f9; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 240px; overflow-y: auto; }
#log .omitted, #log .note { color: var(--muted); margin-left: 16px; }
#queues .queue { margin: 4px 0 8px; font-size: 13px; }
#queues .queue.instance { margin-left: 20px; }
#queues ol { margin: 2px 0 0; padding-left: 28px; font: 12px/1.5 ui-monospace, 'DejaVu Sans Mono', monospace; }
#queues .running { font: 12px/1.5 ui-monospace, 'DejaVu Sans Mono', monospace; }
#queues code, #queues .wait { color: var(--muted); overflow-wrap: anywhere; }
td.error .when { color: var(--muted); font-variant-numeric: tabular-nums; }
td.error .what { color: var(--fg); font-weight: 600; }
`;

const SCRIPT = `
const LOG_MAX = 2000;
const DETAILED_MAX = 200; // log entries that keep their call details in the page (the server keeps the last 100 calls)
const PREVIEW = 100; // characters of a value shown before it is expanded
const state = { components: [], selected: null, log: [], maxSeq: 0, receivedAt: Date.now(), open: new Set() };
const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
};
const fmtMs = (ms) => (ms >= 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms) + ' ms');

function apply(data, reset) {
  state.components = data.snapshot.components;
  state.receivedAt = Date.now();
  if (reset) { state.log = []; state.maxSeq = 0; }
  for (const e of data.log) {
    if (e.seq <= state.maxSeq) continue;
    state.log.push(e);
    state.maxSeq = e.seq;
  }
  if (state.log.length > LOG_MAX) state.log.splice(0, state.log.length - LOG_MAX);
  let detailed = 0;
  for (let i = state.log.length - 1; i >= 0; i--) {
    if (state.log[i].details && ++detailed > DETAILED_MAX) delete state.log[i].details;
  }
  if (!state.components.some((c) => c.id === state.selected)) state.selected = state.components[0]?.id ?? null;
  render();
}

function inFlightText(c) {
  const elapsed = Date.now() - state.receivedAt;
  return c.inFlightCalls.map((call) =>
    'call ' + call.callId + ' ' + call.tool + (call.runningMs !== undefined ? ' for ' + fmtMs(call.runningMs + elapsed) : '') + (call.cancelled ? ' (cancelled)' : '')
  ).join(', ');
}

// Per-agent instances: redacted handle, state, queue (and calls in flight) of each.
function instancesText(c) {
  if (!c.stateful) return '\u2014';
  const list = c.instanceList || [];
  if (list.length === 0) return '0';
  return list.length + ': ' + list.map((i) =>
    i.handle + ' ' + i.state + (i.queueLength > 0 ? ' q' + i.queueLength : '') + (i.restarts > 0 ? ' r' + i.restarts : '')
  ).join(', ');
}

const clock = (t) => new Date(t).toISOString().slice(11, 23);
const callName = (c) => 'call ' + c.callId + ' ' + c.tool;

// Last error: when it happened, which call, what.
function lastErrorCell(c) {
  const cell = el('td', { className: 'error' });
  if (c.lastError === undefined) return cell;
  const at = c.lastErrorAt;
  if (at) {
    cell.append(el('span', { className: 'when', textContent: clock(at.time) + ' (' + fmtMs(Date.now() - at.time) + ' ago) ' }));
    if (at.callId) cell.append(el('span', { className: 'what', textContent: 'call ' + at.callId + ' ' + (at.tool || '') + ': ' }));
  }
  cell.append(c.lastError);
  return cell;
}

function waitingList(queued) {
  if (queued.length === 0) return [];
  const items = queued.map((q) => el('li', { className: 'queued' },
    callName(q) + ' ',
    q.args ? el('code', { textContent: q.args.text.length > PREVIEW ? q.args.text.slice(0, PREVIEW) + '\\u2026' : q.args.text }) : '',
    q.sentAt !== undefined ? el('span', { className: 'wait', textContent: ' waiting ' + fmtMs(Date.now() - q.sentAt) }) : ''));
  return [el('div', { textContent: items.length + ' waiting, in the order they will run:' }), el('ol', {}, ...items)];
}

function renderQueues() {
  const box = $('#queues');
  const busy = state.components.filter((c) => c.inFlightCalls.length > 0 || c.queuedCalls.length > 0 || c.instanceCalls.length > 0);
  $('#no-queues').hidden = busy.length > 0;
  const elapsed = Date.now() - state.receivedAt;
  box.replaceChildren(...busy.map((c) => {
    const running = c.inFlightCalls.map((call) => callName(call) + (call.runningMs !== undefined ? ' for ' + fmtMs(call.runningMs + elapsed) : '') + (call.cancelled ? ' (cancelled)' : '')).join(', ');
    const div = el('div', { className: 'queue' },
      el('b', { textContent: c.id }), ' ',
      el('span', { className: 'running', textContent: running ? 'running: ' + running : 'nothing running' }),
      ...waitingList(c.queuedCalls));
    div.dataset.id = c.id;
    for (const i of c.instanceCalls) {
      const sub = el('div', { className: 'queue instance' },
        el('b', { textContent: 'instance ' + i.instance }), ' ',
        el('span', { className: 'running', textContent: i.running ? 'running: ' + callName(i.running) : 'nothing running' }),
        ...waitingList(i.queuedCalls));
      sub.dataset.instance = i.instance;
      div.append(sub);
    }
    return div;
  }));
}

function renderTable() {
  const body = $('#components tbody');
  body.replaceChildren();
  $('#no-components').hidden = state.components.length > 0;
  for (const c of state.components) {
    const row = el('tr', { className: c.id === state.selected ? 'selected' : '' });
    row.dataset.id = c.id;
    row.append(
      el('td', { className: 'id' }, el('b', { textContent: c.id })),
      el('td', { className: 'kind', textContent: c.stateful ? 'stateful' : 'stateless' }),
      el('td', { className: 'state' }, el('span', { className: 'badge ' + c.state, textContent: c.state })),
      el('td', { className: 'num generation', textContent: String(c.generation) }),
      el('td', { className: 'num queue', textContent: String(c.queueLength) }),
      el('td', { className: 'inflight', textContent: inFlightText(c) || '\\u2014' }),
      el('td', { className: 'num served', textContent: String(c.served) }),
      el('td', { className: 'num failed', textContent: String(c.failed) }),
      el('td', { className: 'num restarts', textContent: String(c.restarts) }),
      el('td', { className: 'instances', textContent: instancesText(c) }),
      el('td', { className: 'num last', textContent: c.lastCallMs !== undefined ? fmtMs(c.lastCallMs) : '\\u2014' }),
      lastErrorCell(c),
    );
    row.addEventListener('click', () => { state.selected = c.id; render(); });
    body.append(row);
  }
}

function renderChart() {
  const c = state.components.find((x) => x.id === state.selected);
  const active = new Set(c ? c.activeStates : []);
  for (const g of document.querySelectorAll('#chart-wrap g.state')) g.classList.toggle('active', active.has(g.dataset.id));
  $('#chart-of').textContent = c ? 'component "' + c.id + '" is ' + c.state : 'no component loaded';
}

function renderLogFilter() {
  const select = $('#log-component');
  const current = select.value;
  const ids = [...new Set([...state.components.map((c) => c.id), ...state.log.map((e) => e.component)])];
  const wanted = ['*', ...ids];
  const have = [...select.options].map((o) => o.value);
  if (wanted.join('\\n') !== have.join('\\n')) {
    select.replaceChildren(el('option', { value: '*', textContent: 'all components' }), ...ids.map((id) => el('option', { value: id, textContent: id })));
    select.value = wanted.includes(current) ? current : '*';
  }
}

function renderLog() {
  const component = $('#log-component').value;
  const kinds = new Set([...document.querySelectorAll('.logbar input[type=checkbox]:checked')].map((i) => i.value));
  const text = $('#log-text').value.toLowerCase();
  const rows = [];
  for (let i = state.log.length - 1; i >= 0 && rows.length < 400; i--) {
    const e = state.log[i];
    if (component !== '*' && e.component !== component) continue;
    if (!kinds.has(e.kind)) continue;
    if (text && !(e.component + ' ' + e.text + ' ' + detailsText(e)).toLowerCase().includes(text)) continue;
    const row = el('div', { className: 'kind-' + e.kind + (e.outcome ? ' out-' + e.outcome : '') },
      el('span', { className: 't', textContent: clock(e.time) + ' ' }),
      el('span', { className: 'c', textContent: e.component + ' ' }),
      // a call entry says "call c12 increment ..." itself; a failed one's error is in its details
      (e.kind === 'call' ? '' : e.kind.padEnd(10) + ' ') + lineText(e));
    row.dataset.seq = String(e.seq);
    if (e.details) row.append(fieldsOf(e));
    rows.push(row);
  }
  $('#log').replaceChildren(...rows);
  $('#log-count').textContent = rows.length + ' shown, ' + state.log.length + ' kept';
}

const FIELDS = [['args', 'args'], ['result', 'result'], ['error', 'error'], ['stdout', 'stdout'], ['stderr', 'stderr']];

function lineText(e) {
  const tail = ': ' + e.error;
  return e.details?.error && e.error !== undefined && e.text.endsWith(tail) ? e.text.slice(0, -tail.length) : e.text;
}

function detailsText(e) {
  return e.details ? FIELDS.map(([f]) => e.details[f]?.text ?? '').join(' ') : '';
}

// One value of a call: shown whole when short, else a preview that expands (<details>) to what the server kept.
function field(seq, name, clipped) {
  const oneLine = clipped.text.replace(/\\s+/g, ' ');
  const body = clipped.text.replace(/\\n$/, ''); // one line of output ends with a newline
  if (body.length <= PREVIEW && !body.includes('\\n') && !clipped.omitted) {
    return el('div', { className: 'field ' + name }, el('b', { textContent: name + ' ' }), el('code', { textContent: body }));
  }
  const key = seq + ':' + name;
  const node = el('details', { className: 'field ' + name, open: state.open.has(key) },
    el('summary', {}, el('b', { textContent: name + ' ' }),
      el('code', { className: 'preview', textContent: oneLine.slice(0, PREVIEW) + '\\u2026' }),
      el('span', { className: 'note', textContent: ' (' + (clipped.text.length + (clipped.omitted || 0)) + ' characters)' })),
    el('pre', { textContent: clipped.text }));
  if (clipped.omitted) node.append(el('div', { className: 'omitted', textContent: clipped.omitted + ' more characters not kept' }));
  node.addEventListener('toggle', () => { if (node.open) state.open.add(key); else state.open.delete(key); });
  return node;
}

function fieldsOf(e) {
  const box = el('div', { className: 'fields' });
  for (const [name] of FIELDS) if (e.details[name]) box.append(field(e.seq, name, e.details[name]));
  if (e.details.outputTruncated) box.append(el('div', { className: 'note', textContent: 'the guest wrote more than the per-call output limit; the rest was dropped' }));
  return box;
}

function render() { renderTable(); renderQueues(); renderChart(); renderLogFilter(); renderLog(); }

for (const input of document.querySelectorAll('.logbar input, .logbar select')) input.addEventListener('input', renderLog);
setInterval(() => {
  for (const c of state.components) {
    if (c.inFlightCalls.length === 0) continue;
    const cell = document.querySelector('#components tr[data-id="' + CSS.escape(c.id) + '"] td.inflight');
    if (cell) cell.textContent = inFlightText(c);
  }
  if (state.components.some((c) => c.inFlightCalls.length > 0 || c.queuedCalls.length > 0 || c.instanceCalls.length > 0)) renderQueues();
}, 250);

const source = new EventSource('api/events');
source.addEventListener('init', (m) => { $('#conn').className = 'live'; $('#conn').textContent = 'live'; apply(JSON.parse(m.data), true); });
source.addEventListener('update', (m) => apply(JSON.parse(m.data), false));
source.onerror = () => { $('#conn').className = 'down'; $('#conn').textContent = 'reconnecting\\u2026'; };
`;

/**
 * The page, with `chartSvg` embedded, and `instanceChartSvg` (the chart of a per-agent instance, a child
 * actor of a stateful component) under it when given.
 */
export function renderPage(chartSvg: string, instanceChartSvg?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wasmactor inspector</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>wasmactor inspector</h1><span class="sub">read-only view of every component actor</span><span id="conn" class="down">connecting&hellip;</span></header>
<main>
<section>
<h2>Component actors <span class="hint">(click a row to show it on the chart)</span></h2>
<div class="table-wrap">
<table id="components">
<thead><tr><th>id</th><th>kind</th><th>state</th><th class="num">gen</th><th class="num">queue</th><th>call in flight</th><th class="num">served</th><th class="num">failed</th><th class="num">restarts</th><th>instances</th><th class="num">last call</th><th>last error</th></tr></thead>
<tbody></tbody>
</table>
</div>
<div id="no-components" class="empty">No component is loaded.</div>
</section>
<section>
<h2>Calls running and waiting <span class="hint">(a stateful component serves one call at a time; the others wait in order)</span></h2>
<div id="queues"></div>
<div id="no-queues" class="empty">No call is running or waiting.</div>
</section>
<section>
<h2>State chart of the component machine <span class="hint" id="chart-of"></span></h2>
<div id="chart-wrap">${chartSvg}</div>
</section>
${
  instanceChartSvg === undefined
    ? ''
    : `<section>
<h2>State chart of a per-agent instance <span class="hint">(open-instance: a child actor of its stateful component; the instances column shows each one's state)</span></h2>
<div id="instance-chart-wrap">${instanceChartSvg}</div>
</section>`
}
<section>
<h2>Event log <span class="hint">(calls show their arguments, result or error and guest output; the environment is never shown)</span></h2>
<div class="logbar">
<select id="log-component"><option value="*">all components</option></select>
<label><input type="checkbox" value="event" checked> events</label>
<label><input type="checkbox" value="transition" checked> transitions</label>
<label><input type="checkbox" value="call" checked> calls</label>
<input id="log-text" type="search" placeholder="filter text">
<span id="log-count" class="hint"></span>
</div>
<div id="log"></div>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

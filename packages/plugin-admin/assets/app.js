// The Midge dashboard: plain DOM, no framework. Everything shown comes from the broker (client ids,
// topics, payloads are chosen by clients): it is written with textContent only, never parsed as HTML.
const TOKEN_KEY = 'midge-admin-token';
const REFRESH_MS = 5000;
const WINDOW_S = 15 * 60;
const TAIL_ROWS = 200;

const $ = (id) => document.getElementById(id);
const el = (tag, text, className) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className !== undefined) e.className = className;
  return e;
};

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let timer;
let charts;
const series = { t: [], connections: [], received: [], sent: [] };
let last;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, init = {}) {
  const res = await fetch(`/api/v1${path}`, {
    ...init,
    headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` },
  });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof body === 'object' && body !== null ? body.error : String(body));
  return body;
}

function show(id) {
  for (const s of ['login', 'api-off', 'app']) $(s).hidden = s !== id;
  $('logout').hidden = id !== 'app';
}

async function start() {
  if (token === '') {
    // Without a token_file the API answers 404 to everyone: say how to turn it on instead of asking for a token.
    const probe = await fetch('/api/v1/stats').catch(() => undefined);
    return show(probe?.status === 404 ? 'api-off' : 'login');
  }
  try {
    const stats = await api('/stats');
    $('version').textContent = `${stats.version}`;
  } catch (err) {
    if (err.status === 404) return show('api-off');
    $('login-error').textContent =
      err.status === 401 ? 'That token is not the one of token_file.' : `The admin API answered: ${err.message}`;
    sessionStorage.removeItem(TOKEN_KEY);
    token = '';
    return show('login');
  }
  show('app');
  await loadHistory();
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
  loadPlugins().catch(() => undefined);
}

function refresh() {
  for (const load of [loadStats, loadHealth, loadClients, loadRetained]) load().catch(report);
}

function report(err) {
  if (err instanceof ApiError && err.status === 401) {
    clearInterval(timer);
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    $('login-error').textContent = 'The token was refused: log in again.';
    show('login');
  }
}

// ---- charts ------------------------------------------------------------------------------------

function addPoint(p) {
  const t = p.t / 1000;
  if (last !== undefined && t > last.t) {
    series.t.push(t);
    series.connections.push(p.connections);
    series.received.push((p.messagesReceived - last.received) / (t - last.t));
    series.sent.push((p.messagesSent - last.sent) / (t - last.t));
  }
  last = { t, received: p.messagesReceived, sent: p.messagesSent };
  while (series.t.length > 0 && series.t[0] < t - WINDOW_S) for (const k of Object.keys(series)) series[k].shift();
}

async function loadHistory() {
  const { points } = await api('/history');
  for (const k of Object.keys(series)) series[k].length = 0;
  last = undefined;
  for (const p of points) addPoint(p);
  drawCharts();
}

function drawCharts() {
  const width = Math.max(320, $('chart-connections').clientWidth || 480);
  const opts = (title, labels) => ({
    title,
    width,
    height: 200,
    series: [{}, ...labels.map((label, i) => ({ label, stroke: ['#2f5bd3', '#d3572f'][i], width: 2 }))],
    axes: [{}, { size: 60 }],
  });
  if (charts === undefined) {
    charts = [
      new uPlot(opts('Connections', ['connections']), [series.t, series.connections], $('chart-connections')),
      new uPlot(opts('Messages per second', ['in', 'out']), [series.t, series.received, series.sent], $('chart-rates')),
    ];
  } else {
    charts[0].setData([series.t, series.connections]);
    charts[1].setData([series.t, series.received, series.sent]);
  }
}

async function loadStats() {
  const s = await api('/stats');
  addPoint({
    t: Date.now(),
    connections: s.stats.clientsConnected,
    messagesReceived: s.stats.messagesReceived,
    messagesSent: s.stats.messagesSent,
  });
  drawCharts();
  const node = $('node');
  node.replaceChildren();
  for (const [k, v] of [
    ['version', s.version],
    ['up since', `${s.startedAt} (${s.uptimeSeconds} s)`],
    ['sessions', s.sessions],
    ['subscriptions', s.subscriptions],
    ['retained', s.stats.retainedCount],
    ['messages in / out', `${s.stats.messagesReceived} / ${s.stats.messagesSent}`],
  ]) {
    node.append(el('dt', k), el('dd', v));
  }
}

// ---- health and plugins ------------------------------------------------------------------------

async function loadHealth() {
  const res = await fetch('/readyz');
  const r = await res.json();
  const badge = $('health');
  badge.textContent = r.ready ? 'ready' : `not ready: ${r.reason}`;
  badge.className = `badge ${r.ready ? 'ok' : 'bad'}`;
  const list = $('checks');
  list.replaceChildren(...(r.checks ?? []).map((c) => el('li', `${c.name}: ${c.reason}`, c.ok ? 'ok' : 'bad')));
}

async function loadPlugins() {
  const { plugins } = await api('/plugins');
  $('plugins').tBodies[0].replaceChildren(
    ...plugins.map((p) => {
      const tr = el('tr');
      tr.append(el('td', p.name), el('td', p.version ?? '-'), el('td', p.state));
      return tr;
    }),
  );
}

// ---- clients -----------------------------------------------------------------------------------

async function loadClients() {
  const q = $('client-search').value.trim();
  // A search matches client ids by prefix, or a username exactly: two queries, merged.
  const pages = await Promise.all([
    api(`/clients?limit=200${q === '' ? '' : `&prefix=${encodeURIComponent(q)}`}`),
    q === '' ? Promise.resolve({ clients: [] }) : api(`/clients?limit=200&username=${encodeURIComponent(q)}`),
  ]);
  const seen = new Map();
  for (const c of [...pages[0].clients, ...pages[1].clients]) seen.set(c.clientId, c);
  const rows = [...seen.values()].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  $('clients-total').textContent = `(${rows.length})`;
  $('clients').tBodies[0].replaceChildren(
    ...rows.map((c) => {
      const tr = el('tr');
      const kick = el('button', 'Kick', 'kick');
      kick.type = 'button';
      kick.addEventListener('click', () => kickClient(c.clientId));
      const mqtt = c.protocolVersion === 5 ? '5.0' : c.protocolVersion === 4 ? '3.1.1' : '3.1';
      const actions = el('td');
      actions.append(kick);
      tr.append(
        el('td', c.clientId, 'mono'),
        el('td', c.username ?? '-'),
        el('td', c.listener),
        el('td', `${c.remoteAddress}:${c.remotePort}`),
        el('td', mqtt),
        actions,
      );
      return tr;
    }),
  );
}

async function kickClient(clientId) {
  if (!window.confirm(`Disconnect ${clientId}? Its will is published; a persistent session stays.`)) return;
  await api(`/clients/${encodeURIComponent(clientId)}/kick`, { method: 'POST' }).catch(report);
  await loadClients().catch(report);
}

// ---- retained topic tree -----------------------------------------------------------------------

let selectedTopic;

async function loadRetained() {
  const page = await api('/retained?limit=1000&filter=%23');
  $('retained-total').textContent = `(${page.total})`;
  const root = new Map();
  for (const m of page.messages) {
    let level = root;
    const parts = m.topic.split('/');
    parts.forEach((part, i) => {
      let node = level.get(part);
      if (node === undefined) level.set(part, (node = { children: new Map(), message: undefined }));
      if (i === parts.length - 1) node.message = m;
      level = node.children;
    });
  }
  $('topic-tree').replaceChildren(...treeItems(root));
  const current = page.messages.find((m) => m.topic === selectedTopic);
  if (current !== undefined) showRetained(current);
}

function treeItems(level) {
  return [...level.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([part, node]) => {
      const li = el('li');
      const label = el('span', part === '' ? '(empty)' : part, node.message === undefined ? 'level' : 'leaf');
      if (node.message !== undefined) {
        label.dataset.topic = node.message.topic;
        if (node.message.topic === selectedTopic) label.classList.add('selected');
        label.addEventListener('click', () => {
          selectedTopic = node.message.topic;
          showRetained(node.message);
        });
      }
      li.append(label);
      if (node.children.size > 0) {
        const ul = el('ul');
        ul.append(...treeItems(node.children));
        li.append(ul);
      }
      return li;
    });
}

function showRetained(m) {
  $('retained-topic').textContent = `${m.topic}  (QoS ${m.qos}, ${m.size} bytes${m.truncated ? ', cut' : ''})`;
  $('retained-payload').textContent = m.encoding === 'base64' ? `base64: ${m.payload}` : m.payload;
}

// ---- live tail (Server-Sent Events read with fetch: EventSource cannot send the token) --------------

let tail;

async function startTail(filter) {
  stopTail();
  const controller = new AbortController();
  tail = controller;
  $('tail-stop').disabled = false;
  $('tail-status').textContent = `watching ${filter}`;
  let res;
  try {
    res = await fetch(`/api/v1/tail?filter=${encodeURIComponent(filter)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
  } catch {
    return;
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    $('tail-status').textContent = body.error ?? `HTTP ${res.status}`;
    $('tail-stop').disabled = true;
    return;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      return;
    }
    if (chunk.done) return;
    buffer += chunk.value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data !== '' && !event.startsWith('event: ready')) addTailRow(JSON.parse(data));
    }
  }
}

function addTailRow(m) {
  const tr = el('tr');
  tr.append(
    el('td', m.at.slice(11, 23)),
    el('td', m.topic, 'mono'),
    el('td', m.qos),
    el('td', m.encoding === 'base64' ? `base64: ${m.payload}` : m.payload, 'payload'),
  );
  const body = $('tail').tBodies[0];
  body.prepend(tr);
  while (body.rows.length > TAIL_ROWS) body.deleteRow(-1);
  if (m.skipped > 0) $('tail-status').textContent = `watching (${m.skipped} skipped over 20/s)`;
}

function stopTail() {
  tail?.abort();
  tail = undefined;
  $('tail-stop').disabled = true;
}

// ---- wiring ------------------------------------------------------------------------------------

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login-error').textContent = '';
  start();
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  clearInterval(timer);
  stopTail();
  show('login');
});
$('client-search').addEventListener('input', () => loadClients().catch(report));
$('tail-form').addEventListener('submit', (e) => {
  e.preventDefault();
  startTail($('tail-filter').value.trim());
});
$('tail-stop').addEventListener('click', () => {
  stopTail();
  $('tail-status').textContent = 'stopped';
});

start();

// Quarry inspector page: plain JS. The operator token lives in sessionStorage and goes out as a header on every API
// call; live views use fetch streaming (EventSource cannot send headers).
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('quarry.operatorToken') ?? '';
let actorStream = null;
let membersStream = null;

function headers() {
  return { authorization: `Bearer ${token}` };
}

async function getJson(path) {
  const res = await fetch(`/inspector/api${path}`, { headers: headers() });
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw Object.assign(new Error(body.error ?? res.statusText), { status: res.status });
  return body;
}

/** Reads a text/event-stream body; calls onData with each event's parsed data until aborted. */
async function stream(path, onData, signal) {
  const res = await fetch(`/inspector/api${path}`, { headers: headers(), signal });
  if (!res.ok) throw new Error(`live view: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onData(JSON.parse(data));
    }
  }
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.appendChild(td);
  return td;
}

const fmtKinds = (m) => Object.entries(m).map(([k, n]) => `${k}: ${n}`).join(', ') || '–';
const fmtTime = (ms) => (ms > 0 ? new Date(ms).toLocaleTimeString() : '–');

function renderMembers(status) {
  const body = $('members').tBodies[0];
  body.replaceChildren();
  for (const m of status.members) {
    const tr = document.createElement('tr');
    tr.dataset.member = m.id;
    cell(tr, m.id + (m.id === status.nodeId ? ' (this node)' : ''));
    cell(tr, m.state);
    cell(tr, String(m.incarnation));
    cell(tr, m.address);
    cell(tr, `${(m.ringShare * 100).toFixed(1)} %`);
    cell(tr, m.unreachableReason ? `unreachable: ${m.unreachableReason}` : fmtKinds(m.activeActorsByKind));
    cell(tr, m.unreachableReason ? '–' : `${m.eventLoopLagMs.toFixed(1)} ms`);
    body.appendChild(tr);
  }
}

function watchMembers() {
  membersStream?.abort();
  membersStream = new AbortController();
  const signal = membersStream.signal;
  stream('/members/events', (ev) => {
    if (!ev.ok) return;
    $('members-live').hidden = false;
    renderMembers(ev.data);
  }, signal).catch(() => {}).finally(() => { if (!signal.aborted) $('members-live').hidden = true; });
}

async function connect(e) {
  e?.preventDefault();
  token = $('token').value || token;
  sessionStorage.setItem('quarry.operatorToken', token);
  try {
    renderMembers(await getJson('/members'));
    $('auth-status').textContent = 'connected';
    $('auth-status').className = 'good';
    watchMembers();
  } catch (err) {
    $('auth-status').textContent = err.status === 401 ? 'token rejected' : `error: ${err.message}`;
    $('auth-status').className = 'bad';
  }
}

async function search(e) {
  e?.preventDefault();
  const q = $('search-query').value.trim();
  const slash = q.indexOf('/');
  const kind = slash >= 0 ? q.slice(0, slash) : '';
  const prefix = slash >= 0 ? q.slice(slash + 1) : q;
  const body = $('results').tBodies[0];
  body.replaceChildren();
  try {
    const r = await getJson(`/search?kind=${encodeURIComponent(kind)}&prefix=${encodeURIComponent(prefix)}&limit=100`);
    $('search-note').textContent = `${r.actors.length} active actor(s)` + (r.unreachable.length ? `; not answering: ${r.unreachable.join(', ')}` : '');
    for (const a of r.actors) {
      const tr = document.createElement('tr');
      const link = document.createElement('a');
      link.textContent = `${a.kind}/${a.key}`;
      link.onclick = () => openActor(a.kind, a.key);
      cell(tr, '').appendChild(link);
      cell(tr, a.node);
      cell(tr, String(a.mailboxDepth));
      cell(tr, String(a.messagesHandled));
      cell(tr, fmtTime(a.lastActivityMs));
      body.appendChild(tr);
    }
    // An exact kind/key that is passivated is not in the active list but can still be inspected from its snapshot.
    if (r.actors.length === 1 || (r.actors.length === 0 && kind && prefix)) openActor(kind || r.actors[0].kind, r.actors[0]?.key ?? prefix);
  } catch (err) {
    $('search-note').textContent = `search failed: ${err.message}`;
  }
}

function renderActor(a) {
  $('actor').hidden = false;
  $('actor-id').textContent = `${a.kind}/${a.key}`;
  const rows = [
    ['node', a.node], ['active', a.active ? 'yes' : 'no (passivated; stored state shown)'], ['mailbox depth', a.mailboxDepth],
    ['messages handled', a.messagesHandled], ['last activity', fmtTime(a.lastActivityMs)], ['passivation due', fmtTime(a.passivationDueMs)],
    ['activation count', a.activationCount], ['snapshot seq', a.snapshotSeq],
  ];
  const body = $('actor-metrics').tBodies[0];
  body.replaceChildren();
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    tr.dataset.metric = k;
    cell(tr, k);
    cell(tr, String(v));
    body.appendChild(tr);
  }
  $('actor-state').textContent = JSON.stringify(a.state, null, 2);
  const list = $('actor-recent');
  list.replaceChildren();
  for (const m of [...a.recent].reverse()) {
    const li = document.createElement('li');
    li.textContent = `${fmtTime(m.atMs)} ${JSON.stringify(m.msg)}${m.failed ? ' (handler failed)' : ''}`;
    const ul = document.createElement('ul');
    for (const d of m.diff) {
      const di = document.createElement('li');
      di.className = `diff-${d.op}`;
      const path = d.path.join('.') || '(state)';
      di.textContent = d.op === 'add' ? `+ ${path} = ${JSON.stringify(d.after)}` : d.op === 'remove' ? `- ${path} (was ${JSON.stringify(d.before)})` : `~ ${path}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`;
      ul.appendChild(di);
    }
    if (m.diff.length === 0) ul.appendChild(Object.assign(document.createElement('li'), { textContent: 'state unchanged' }));
    li.appendChild(ul);
    list.appendChild(li);
  }
  if (a.recent.length === 0) list.appendChild(Object.assign(document.createElement('li'), { textContent: 'none recorded since the inspector started' }));
  $('actor-audit').textContent = a.audit.length ? a.audit.map((x) => JSON.stringify(x)).join('\n') : 'no audit entries';
}

function openActor(kind, key) {
  actorStream?.abort();
  actorStream = new AbortController();
  const signal = actorStream.signal;
  const path = `/actor/${encodeURIComponent(kind)}/${encodeURIComponent(key)}`;
  stream(`${path}/events`, (ev) => {
    if (!ev.ok) {
      $('actor').hidden = false;
      $('actor-id').textContent = `${kind}/${key}: ${ev.error}`;
      return;
    }
    $('actor-live').hidden = false;
    renderActor(ev.data);
  }, signal).catch(() => {}).finally(() => { if (!signal.aborted) $('actor-live').hidden = true; });
}

$('login').addEventListener('submit', connect);
$('search').addEventListener('submit', search);
if (token) connect();

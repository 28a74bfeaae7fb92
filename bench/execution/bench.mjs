// bench/execution: server-side execution into a shared notebook, watched by K collaborators (default 10).
// For each N (10k, 100k, 1M): a notebook with one code cell `for i in range(N): print(i)` is created through the
// Contents API, a session starts its kernel, K Yjs clients (y-websocket 1.5.4's provider, as JupyterLab) join the
// room, and POST /api/kernels/<id>/execute {cell_id, document_id} is timed until EVERY client's document has the cell
// idle with the whole stdout (exactly N lines, ending in `N-1\n`). Also: the document's encoded size at one client,
// the autosaved .ipynb (time until the file on disk has all the output, its size), the server's CPU and peak RSS.
// The peers (direct ZeroMQ, Jupyter Server 1.23 with K websocket clients) are measured by `KernelBench --execution`
// before this script runs; their JSON comes in with --peers FILE.
// Options: --sizes 10000,100000,1000000 --clients 10 --peers FILE --timeout 600 (seconds per N)
//   --selftest: no POST; one more Node client plays the server's part (running, 50 appends to a stdout Y.Text,
//   execution_count, idle) to check the harness itself. Its figures measure nothing about the server's execution.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, repoRoot } from '../../tests/node/lib/servers.mjs';

const require = createRequire(path.join(repoRoot, 'tests', 'node', 'package.json'));
const Y = require('yjs');
const { WebsocketProvider } = require('y-websocket');
const WebSocket = require('ws');

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const SIZES = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const CLIENTS = Number(arg('clients', 10));
const PEERS = arg('peers', null);
const TIMEOUT_MS = Number(arg('timeout', 600)) * 1000;
const SELFTEST = process.argv.includes('--selftest');
const CELL_ID = 'bench-cell';
process.setMaxListeners(0); // y-websocket's provider adds an exit listener per client
const sleep = ms => new Promise(r => setTimeout(r, ms));

const expectedLength = n => { let len = 0; for (let d = 1, lo = 0, hi = 10; lo < n; d++, lo = hi, hi *= 10) len += (Math.min(hi, n) - lo) * (d + 1); return len; };
function completeText(s, n) {
  if (s.length !== expectedLength(n) || !s.endsWith(`${n - 1}\n`)) return false;
  let lines = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) lines++;
  return lines === n;
}
function proc(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = key => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
  return { cpu: (Number(stat[11]) + Number(stat[12])) / 100, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

async function api(server, method, url, body) {
  const r = await fetch(server.baseUrl + url, { method, headers: { Authorization: `token ${server.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

/** The stdout of the cell in a client's document: total length, and the text when asked. */
function stdoutOf(cell, withText) {
  const outputs = cell.get('outputs');
  let length = 0, text = '';
  if (!outputs) return { length, text };
  for (const o of outputs.toArray()) {
    const get = k => (o instanceof Y.Map ? o.get(k) : o[k]);
    if (get('output_type') !== 'stream' || get('name') !== 'stdout') continue;
    const t = get('text');
    const s = t instanceof Y.Text ? null : Array.isArray(t) ? t.join('') : String(t ?? '');
    length += s === null ? t.length : s.length;
    if (withText) text += s === null ? t.toString() : s;
  }
  return { length, text };
}

class Client {
  constructor(server, room, sessionId) {
    this.doc = new Y.Doc();
    this.provider = new WebsocketProvider(`${server.wsUrl}api/collaboration/room`, room, this.doc,
      { WebSocketPolyfill: WebSocket, params: { sessionId, token: server.token }, disableBc: true });
    this.provider.awareness.setLocalStateField('user', { name: 'bench' });
    this.synced = new Promise(resolve => this.provider.on('sync', s => { if (s) resolve(); }));
    this.doc.on('update', () => this.check());
  }
  cell() {
    if (!this._cell) this._cell = this.doc.getArray('cells').toArray().find(c => c.get('id') === CELL_ID);
    return this._cell;
  }
  arm(n, t0) { Object.assign(this, { n, t0, expected: expectedLength(n), doneAt: null, runningAt: null, firstOutputAt: null, updates: 0 }); }
  check() {
    if (!this.n || this.doneAt) return;
    this.updates++;
    const now = performance.now();
    const cell = this.cell();
    if (!cell) return;
    const state = cell.get('execution_state');
    if (state === 'running' && !this.runningAt) this.runningAt = now;
    const { length } = stdoutOf(cell, false);
    if (length > 0 && !this.firstOutputAt) this.firstOutputAt = now;
    this.length = length;
    if (state !== 'idle' || length !== this.expected) return;
    if (!completeText(stdoutOf(cell, true).text, this.n)) { this.bad = true; return; }
    this.doneAt = now;
    this.count = cell.get('execution_count');
  }
  close() { this.provider.destroy(); this.doc.destroy(); }
}

async function waitSaved(file, n, t0, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
      const cell = nb.cells.find(c => c.id === CELL_ID);
      const text = (cell?.outputs ?? []).filter(o => o.output_type === 'stream' && o.name === 'stdout')
        .map(o => Array.isArray(o.text) ? o.text.join('') : o.text).join('');
      if (completeText(text, n)) return { ms: performance.now() - t0, bytes: fs.statSync(file).size };
    } catch { /* being written, or not yet */ }
    await sleep(50);
  }
  return null;
}

/** One N: fresh notebook, session (kernel), K clients; returns the measurements or why there are none. */
let runs = 0;
async function runOne(server, n, clients, kernel = { name: 'python3' }) {
  const name = `exec-${++runs}-${n}.ipynb`;
  const nb = { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [{ id: CELL_ID, cell_type: 'code', source: `for i in range(${n}): print(i)`, metadata: {}, execution_count: null, outputs: [] }] };
  let r = await api(server, 'PUT', `api/contents/${name}`, { type: 'notebook', format: 'json', content: nb });
  if (r.status >= 300) throw new Error(`PUT contents: ${r.status} ${r.text}`);
  r = await api(server, 'POST', 'api/sessions', { path: name, type: 'notebook', name: '', kernel });
  if (r.status >= 300) throw new Error(`POST sessions: ${r.status} ${r.text}`);
  const kernelId = r.json.kernel.id;
  r = await api(server, 'PUT', `api/collaboration/session/${encodeURIComponent(name)}`, { format: 'json', type: 'notebook' });
  if (r.status >= 300) throw new Error(`PUT collaboration session: ${r.status} ${r.text}`);
  const room = `json:notebook:${r.json.fileId}`;
  const cs = [], extra = [];
  try {
    for (let i = 0; i < clients; i++) cs.push(new Client(server, room, r.json.sessionId));
    await Promise.race([Promise.all(cs.map(c => c.synced)), sleep(30000).then(() => { throw new Error('clients did not sync in 30 s'); })]);
    for (const c of cs) if (!c.cell()) throw new Error('the synced document has no cell with the bench id');
    // The kernel is ready when the server says idle.
    for (let i = 0; i < 300; i++) {
      const k = await api(server, 'GET', `api/kernels/${kernelId}`);
      if (k.json?.execution_state === 'idle') break;
      await sleep(50);
    }
    const before = proc(server.pid), cpuClients0 = process.cpuUsage();
    const t0 = performance.now();
    for (const c of cs) c.arm(n, t0);
    if (SELFTEST) selftestWriter(server, room, r.json.sessionId, n, extra);
    else {
      const ex = await api(server, 'POST', `api/kernels/${kernelId}/execute`, { cell_id: CELL_ID, document_id: room });
      if (ex.status !== 202) return { error: `POST execute answered ${ex.status}: ${ex.text.slice(0, 200)}` };
    }
    const postMs = performance.now() - t0;
    const deadline = Date.now() + TIMEOUT_MS;
    let peakRss = before.rssMb;
    while (cs.some(c => !c.doneAt) && Date.now() < deadline) {
      await sleep(20);
      peakRss = Math.max(peakRss, proc(server.pid).rssMb);
    }
    const after = proc(server.pid);
    const cu = process.cpuUsage(cpuClients0);
    const done = cs.filter(c => c.doneAt);
    const res = {
      n, postMs, done: done.length, clients,
      times: cs.map(c => (c.doneAt ? c.doneAt - t0 : null)),
      firstOutput: cs.map(c => (c.firstOutputAt ? c.firstOutputAt - t0 : null)),
      runningSeen: cs.filter(c => c.runningAt).length,
      counts: [...new Set(cs.map(c => c.count))],
      bad: cs.filter(c => c.bad).length,
      lengths: cs.map(c => c.length ?? 0), expected: expectedLength(n),
      updates: cs[0].updates,
      serverCpuS: after.cpu - before.cpu, clientsCpuS: (cu.user + cu.system) / 1e6,
      kernelId, serverHwmMb: after.hwmMb, serverPeakRssMb: peakRss,
      docBytes: Y.encodeStateAsUpdate(cs[0].doc).length,
    };
    if (done.length === clients) {
      const saved = await waitSaved(path.join(server.root, name), n, t0);
      res.savedMs = saved?.ms ?? null;
      res.ipynbBytes = saved?.bytes ?? null;
    }
    return res;
  } finally {
    for (const c of [...cs, ...extra]) c.close();
  }
}

/** --selftest: a client writes what the server would, in 50 chunks, so that the harness can be checked without it. */
async function selftestWriter(server, room, sessionId, n, extra) {
  const w = new Client(server, room, sessionId);
  extra.push(w);            // closed with the measured clients, not measured
  await w.synced;
  const cell = w.cell();
  let all = '';
  for (let i = 0; i < n; i++) all += `${i}\n`;
  w.doc.transact(() => { cell.set('execution_state', 'running'); cell.get('outputs').delete(0, cell.get('outputs').length); });
  const text = new Y.Text();
  const out = new Y.Map();
  w.doc.transact(() => { out.set('output_type', 'stream'); out.set('name', 'stdout'); out.set('text', text); cell.get('outputs').push([out]); });
  const step = Math.ceil(all.length / 50);
  for (let i = 0; i < all.length; i += step) { text.insert(text.length, all.slice(i, i + step)); await sleep(5); }
  w.doc.transact(() => { cell.set('execution_count', 1); cell.set('execution_state', 'idle'); });
}

const peers = PEERS && fs.existsSync(PEERS) ? JSON.parse(fs.readFileSync(PEERS, 'utf8')) : {};
const ours = {};
const server = await startServer({ kind: 'ours' });
try {
  console.log(`ours: pid ${server.pid}, ${CLIENTS} clients per room`);
  // Warm-up (JIT, the kernel's first execution): a small cell, not reported. Every size then runs in a notebook of its
  // own whose session joins that same kernel, as the peers run every size on one warmed kernel.
  const warm = await runOne(server, 1000, CLIENTS).catch(e => ({ error: e.message }));
  if (warm.error) console.log(`  warm-up: ${warm.error}`);
  for (const n of SIZES) {
    if (warm.error) break;
    const r = await runOne(server, n, CLIENTS, { id: warm.kernelId }).catch(e => ({ error: e.message }));
    if (r.error) { console.log(`  ours     N=${n}: ${r.error}`); continue; }
    const ts = r.times.filter(t => t !== null);
    r.maxMs = r.done === r.clients ? Math.max(...ts) : null;
    r.p50Ms = ts.length ? pct(ts, 0.5) : null;
    ours[n] ??= r;   // a size given twice (--sizes 10000,10000) is printed each time, reported once
    console.log(`  ours     N=${String(n).padEnd(8)} max ${r.maxMs?.toFixed(1) ?? 'INCOMPLETE'} ms  p50 ${r.p50Ms?.toFixed(1)} ms  ` +
      `(${r.done}/${r.clients} clients complete; first output p50 ${pct(r.firstOutput.filter(x => x !== null), 0.5)?.toFixed(1)} ms; ` +
      `running seen by ${r.runningSeen}; execution_count ${r.counts.join('/')}; ${r.updates} updates at client 0; POST answered in ${r.postMs.toFixed(1)} ms)`);
    console.log(`           doc ${r.docBytes} B, ipynb ${r.ipynbBytes ?? '-'} B saved at ${r.savedMs?.toFixed(0) ?? '-'} ms, server CPU ${r.serverCpuS.toFixed(2)} s, ` +
      `clients CPU ${r.clientsCpuS.toFixed(2)} s, server RSS peak ${r.serverPeakRssMb.toFixed(0)} MB (VmHWM ${r.serverHwmMb.toFixed(0)} MB)`);
    if (r.done < r.clients) console.log(`           INCOMPLETE: stdout lengths ${r.lengths.join(',')} of ${r.expected}${r.bad ? `, ${r.bad} with wrong text` : ''}`);
  }
} finally {
  // Anything the server logged as a warning or an error during the run is worth a look.
  try {
    const bad = fs.readFileSync(path.join(server.scratch, 'server.log'), 'utf8').split('\n').filter(l => /\b(warn|fail|error|exception)/i.test(l));
    if (bad.length) console.log(`  server log: ${bad.length} warning/error lines, first: ${bad.slice(0, 5).join(' | ').slice(0, 1000)}`);
  } catch { /* no log */ }
  await server.stop();
}

// ---- RESULT lines
console.log();
const fmt = v => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(v < 10 ? 3 : 1));
function result(metric, o, peer, p) {
  if (o === null || o === undefined) return;
  console.log(`RESULT suite=execution metric=${metric} ours=${fmt(o)} peer=${peer}:${fmt(p)} ratio=${p ? (o / p).toFixed(3) : 'n/a'}`);
}
const direct = peers.direct ?? {}, jupyter = peers.jupyter ?? {};
for (const n of SIZES) {
  const o = ours[n];
  if (!o) continue;
  result(`all_clients_ms_${n}`, o.maxMs, 'jupyter-server-1.23', jupyter[n]?.max_ms);
  result(`all_clients_ms_${n}`, o.maxMs, 'direct-zmq', direct[n]?.ms);
  result(`p50_client_ms_${n}`, o.p50Ms, 'jupyter-server-1.23', jupyter[n]?.p50_ms);
  result(`first_output_p50_ms_${n}`, pct(o.firstOutput.filter(x => x !== null), 0.5), 'direct-zmq', direct[n]?.first_output_ms);
  result(`doc_bytes_${n}`, o.docBytes, 'raw-stdout', o.expected);
  result(`ipynb_bytes_${n}`, o.ipynbBytes, 'raw-stdout', o.expected);
  result(`saved_ms_${n}`, o.savedMs, 'all-clients', o.maxMs);
  result(`server_hwm_mb_after_${n}`, o.serverHwmMb, 'jupyter-server-1.23', jupyter[n]?.server_hwm_mb);
  result(`server_cpu_s_${n}`, o.serverCpuS, 'jupyter-server-1.23', jupyter[n]?.server_cpu_s);
}
// Slope: marginal µs per line between consecutive sizes, and whether the cost per line stays flat.
const series = {
  ours: Object.fromEntries(SIZES.filter(n => ours[n]?.maxMs).map(n => [n, ours[n].maxMs])),
  'direct-zmq': Object.fromEntries(SIZES.filter(n => direct[n]).map(n => [n, direct[n].ms])),
  'jupyter-server-1.23': Object.fromEntries(SIZES.filter(n => jupyter[n]).map(n => [n, jupyter[n].max_ms])),
};
const slopes = {};
for (const [who, s] of Object.entries(series)) {
  const ns = Object.keys(s).map(Number).sort((a, b) => a - b);
  if (ns.length < 2) continue;
  const parts = [];
  slopes[who] = {};
  for (let i = 1; i < ns.length; i++) {
    const us = (s[ns[i]] - s[ns[i - 1]]) * 1000 / (ns[i] - ns[i - 1]);
    slopes[who][`${ns[i - 1]}-${ns[i]}`] = us;
    parts.push(`${ns[i - 1]}->${ns[i]}: ${us.toFixed(3)} us/line`);
  }
  const a = ns[0], b = ns[ns.length - 1];
  const perLine = n => s[n] * 1000 / n;
  const marg = Object.values(slopes[who]);
  console.log(`SLOPE suite=execution path=${who} ${parts.join(', ')}; per-line cost at ${b} / at ${a} = ${(perLine(b) / perLine(a)).toFixed(2)}; ` +
    `marginal last/first = ${(marg[marg.length - 1] / marg[0]).toFixed(2)}`);
}
const last = k => { const v = Object.entries(slopes[k] ?? {}); return v.length ? v[v.length - 1] : null; };
const ol = last('ours');
if (ol) {
  result(`us_per_line_${ol[0]}`, ol[1], 'jupyter-server-1.23', last('jupyter-server-1.23')?.[1]);
  result(`us_per_line_${ol[0]}`, ol[1], 'direct-zmq', last('direct-zmq')?.[1]);
}

// bench/rooms: one room, N clients (50, then 200), each making 5 edits per second in its own text for S seconds
// (default 60). Measured: latency from an edit to its arrival at other clients (p50, p99; 20 observing clients parse
// every frame they receive), the server's CPU seconds and resident memory; then, on a fresh process, the memory of
// 1,000 idle rooms (one client and 1 KB of text each) once they have been idle 10 s (and, as a second metric, 2 s).
// The same workload runs against JupyterRtc's generic rooms, y-websocket's server and Hocuspocus, in this run.
// Options: --seconds S, --clients 50,200, --rooms 1000, --only ours|y-websocket|hocuspocus|relay (relay: the floor), --ours-args '--Section.name=value ...',
// --warm-rooms W (idle rooms opened before the memory baseline), --mappings (idle rooms' growth per memory mapping)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, freePort, repoRoot } from '../../tests/node/lib/servers.mjs';

const require = createRequire(path.join(repoRoot, 'tests', 'node', 'package.json'));
const Y = require('yjs');
const encoding = require('lib0/encoding');
const WebSocket = require('ws');

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const SECONDS = Number(arg('seconds', 60));
const SIZES = arg('clients', '50,200').split(',').map(Number).filter(n => n > 0);   // --clients 0: idle rooms only
const IDLE_ROOMS = Number(arg('rooms', 1000));
const ONLY = arg('only', null);
const WARM_ROOMS = Number(arg('warm-rooms', 0));     // idle rooms opened before the memory baseline
const SHOW_MAPPINGS = process.argv.includes('--mappings');   // print where idle rooms' memory went, per mapping
const OURS_ARGS = arg('ours-args', '').split(' ').filter(Boolean);   // extra settings for our server, e.g. --YDocExtension.broadcast_interval=0
const RATE = 5;
const OBSERVERS = 20;
const sleep = ms => new Promise(r => setTimeout(r, ms));

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpu = (Number(stat[11]) + Number(stat[12])) / 100;   // utime + stime, in seconds (USER_HZ = 100)
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  return { cpu, rss };
}

async function startPeer(name) {
  if (name === 'ours') {
    const s = await startServer({ kind: 'ours', args: ['--YDocExtension.document_cleanup_delay=600', ...OURS_ARGS] });
    return { name, pid: s.pid, url: room => `${s.wsUrl}api/collaboration/room/${room}?token=${s.token}`, prefix: null, stop: s.stop };
  }
  const port = await freePort();
  const script = name === 'y-websocket'
    ? [path.join(repoRoot, 'tests/node/node_modules/y-websocket/bin/server.js')]
    : [path.join(repoRoot, `bench/rooms/${name}-server.mjs`), String(port)];
  const child = spawn(process.execPath, script, { env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) }, stdio: 'ignore', detached: true });
  for (let i = 0; i < 200; i++) {
    try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await sleep(50); }
  }
  return {
    name, pid: child.pid,
    url: room => name === 'hocuspocus' ? `ws://127.0.0.1:${port}/` : `ws://127.0.0.1:${port}/${room}`,
    prefix: name === 'hocuspocus' ? room => room : null,
    stop: async () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { } await sleep(200); },
  };
}

// A frame for the server: Hocuspocus prefixes every message with the document name.
function frame(peer, room, body) {
  if (!peer.prefix) return body;
  const e = encoding.createEncoder();
  encoding.writeVarString(e, peer.prefix(room));
  encoding.writeUint8Array(e, body);
  return encoding.toUint8Array(e);
}
const syncStep1Empty = new Uint8Array([0, 0, 1, 0]);
function hocusAuth(room) {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, room);
  encoding.writeVarUint(e, 2);          // Auth
  encoding.writeVarUint(e, 0);          // Token
  encoding.writeVarString(e, '');
  return encoding.toUint8Array(e);
}
function updateFrame(update) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

async function connect(peer, room, onMessage) {
  const ws = new WebSocket(peer.url(room));
  ws.binaryType = 'nodebuffer';
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const first = new Promise(resolve => ws.once('message', resolve));
  if (onMessage) ws.on('message', onMessage);
  if (peer.name === 'hocuspocus') ws.send(hocusAuth(room));
  ws.send(frame(peer, room, syncStep1Empty));
  await first;
  return ws;
}

function percentile(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN; }

async function workload(peer, clients) {
  const room = `bench-${clients}-${Date.now()}`;
  const sent = Array.from({ length: clients }, () => []);
  const latencies = [];
  const sockets = [];
  let frames = 0;           // frames received by the observers (how much the server merges)
  for (let i = 0; i < clients; i++) {
    const me = i;
    const observe = i < OBSERVERS ? data => {
      const now = performance.now();
      frames++;
      const text = data.toString('latin1');
      const re = /#(\d+):(\d+);/g;
      let m;
      while ((m = re.exec(text))) {
        const from = Number(m[1]);
        if (from !== me) { const t = sent[from][Number(m[2])]; if (t !== undefined) latencies.push(now - t); }
      }
    } : null;
    sockets.push(await connect(peer, room, observe));
  }
  const docs = Array.from({ length: clients }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i;
    return doc;
  });
  const before = procStats(peer.pid);
  const clientBefore = process.cpuUsage();
  const end = performance.now() + SECONDS * 1000;
  let seqs = new Array(clients).fill(0);
  await new Promise(resolve => {
    const timers = docs.map((doc, i) => {
      const text = doc.getText(`cell-${i}`);
      doc.on('update', update => sockets[i].send(frame(peer, room, updateFrame(update))));
      return setTimeout(function tick() {
        if (performance.now() >= end) return;
        const seq = seqs[i]++;
        sent[i][seq] = performance.now();
        text.insert(text.length, `#${i}:${seq};`);
        timers[i] = setTimeout(tick, 1000 / RATE);
      }, Math.random() * 1000 / RATE);
    });
    setTimeout(resolve, SECONDS * 1000 + 2000);
  });
  const after = procStats(peer.pid);
  const clientCpu = process.cpuUsage(clientBefore);
  const expected = seqs.reduce((a, b) => a + b, 0) * Math.min(OBSERVERS, clients) - seqs.slice(0, OBSERVERS).reduce((a, b) => a + b, 0);
  sockets.forEach(s => s.terminate());
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cpu: after.cpu - before.cpu, rss: after.rss,
    clientCpu: (clientCpu.user + clientCpu.system) / 1e6,
    delivered: latencies.length / Math.max(1, expected), framesPerSecond: frames / Math.min(OBSERVERS, clients) / SECONDS };
}

// Resident KB per memory mapping of a process ([anon] is mostly the heap; memfd:doublemapper is .NET's JIT code).
function mappings(pid) {
  const out = {};
  let name = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { name = m[1] || '[anon]'; continue; }
    const r = /^Rss:\s+(\d+)/.exec(line);
    if (r) out[name] = (out[name] || 0) + Number(r[1]);
  }
  return out;
}

async function idleRooms(peer) {
  await sleep(1000);
  const sockets = [];
  const open = async name => {
    const room = `${name}-${Date.now()}`;
    const ws = await connect(peer, room, null);
    const doc = new Y.Doc();
    doc.on('update', u => ws.send(frame(peer, room, updateFrame(u))));
    doc.getText('t').insert(0, 'x'.repeat(1000));
    sockets.push(ws);
  };
  // Warm-up rooms before the baseline leave out one-time costs (heap growth, code compiled for the first rooms).
  for (let r = 0; r < WARM_ROOMS; r++) await open(`warm-${r}`);
  if (WARM_ROOMS > 0) await sleep(1000);
  const before = procStats(peer.pid).rss;
  const mapsBefore = SHOW_MAPPINGS ? mappings(peer.pid) : null;
  for (let r = 0; r < IDLE_ROOMS; r++) await open(`idle-${r}`);
  // Read 2 s after the last room opened, and again once the rooms have sat idle 10 s: a server may give memory back
  // when it goes quiet (ours does after 5 s, JupyterRtc.memory_trim_after; V8 has its own idle collection).
  await sleep(2000);
  const at2s = procStats(peer.pid).rss;
  await sleep(8000);
  const after = procStats(peer.pid).rss;
  if (mapsBefore) {
    const mapsAfter = mappings(peer.pid);
    for (const [name, kb] of Object.entries(mapsAfter).map(([k, v]) => [k, v - (mapsBefore[k] || 0)]).sort((a, b) => b[1] - a[1]))
      if (Math.abs(kb) >= 100) console.error(`${peer.name} idle room: ${(kb / IDLE_ROOMS).toFixed(2).padStart(7)} KB in ${name}`);
  }
  sockets.forEach(s => s.terminate());
  return { idle: (after - before) * 1024 / IDLE_ROOMS, at2s: (at2s - before) * 1024 / IDLE_ROOMS };
}

const results = {};
// 'relay' (relay-server.mjs, no CRDT work: the latency floor of this machine and client) runs only when asked for.
for (const name of ['ours', 'y-websocket', 'hocuspocus', 'relay']) {
  if (ONLY ? ONLY !== name : name === 'relay') continue;
  const peer = await startPeer(name);
  try {
    results[name] = {};
    for (const n of SIZES) {
      const r = await workload(peer, n);
      console.error(`${name} ${n} clients: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, cpu ${r.cpu.toFixed(2)} s (clients' process ${r.clientCpu.toFixed(2)} s), rss ${r.rss.toFixed(0)} MB, delivered ${(r.delivered * 100).toFixed(1)}%, ${r.framesPerSecond.toFixed(0)} frames/s per client`);
      Object.assign(results[name], { [`latency_p50_ms_${n}_clients`]: r.p50, [`latency_p99_ms_${n}_clients`]: r.p99,
        [`server_cpu_s_${n}_clients`]: r.cpu, [`server_rss_mb_${n}_clients`]: r.rss });
    }
  } finally { await peer.stop(); }
  // Idle rooms on a fresh process: after the workload, a process has free heap that new rooms fill without growing,
  // which hid the peers' figures (they came out at or below zero).
  const fresh = await startPeer(name);
  try {
    const { idle, at2s } = await idleRooms(fresh);
    Object.assign(results[name], { idle_room_kb: idle, idle_room_kb_at_2s: at2s });
    console.error(`${name} idle room: ${idle.toFixed(1)} KB after 10 s idle, ${at2s.toFixed(1)} KB after 2 s (${IDLE_ROOMS} rooms on a fresh process after ${WARM_ROOMS} warm-up rooms)`);
  } finally { await fresh.stop(); }
}
if (results.ours) {
  for (const metric of Object.keys(results.ours)) {
    for (const peer of ['y-websocket', 'hocuspocus']) {
      if (!results[peer]) continue;
      const o = results.ours[metric], p = results[peer][metric];
      console.log(`RESULT suite=rooms metric=${metric} ours=${o.toFixed(2)} peer=${peer}:${p.toFixed(2)} ratio=${(o / p).toFixed(3)}`);
    }
  }
}

// Where an idle room's memory goes: starts our built server, opens N rooms (one client, 1 KB of text each) after W
// warm-up rooms, and prints the growth of each mapping of /proc/<pid>/smaps per room ([anon] is mostly the GC heap;
// memfd:doublemapper is JIT-compiled code). Not a benchmark: a probe for docs/benchmarks.md "rooms".
//   node bench/rooms/memory-probe.mjs [N=1000] [W=0]     (JUPYTER_RTC_BUILD=dir picks the build; HOLD=ms keeps it open)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, repoRoot } from '../../tests/node/lib/servers.mjs';
const require = createRequire(path.join(repoRoot, 'tests', 'node', 'package.json'));
const Y = require('yjs'); const encoding = require('lib0/encoding'); const WebSocket = require('ws');
const sleep = ms => new Promise(r => setTimeout(r, ms));
const N = Number(process.argv[2] || 1000), WARM = Number(process.argv[3] || 0);
function smaps(pid) {
  const out = {}; let name = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { name = m[1] || '[anon]'; continue; }
    const r = /^Rss:\s+(\d+)/.exec(line); if (r) out[name] = (out[name] || 0) + Number(r[1]);
  }
  return out;
}
const s = await startServer({ kind: 'ours', args: ['--YDocExtension.document_cleanup_delay=600'] });
const socks = [];
async function room(r) {
  const name = `idle-${r}-${Date.now()}`;
  const ws = new WebSocket(`${s.wsUrl}api/collaboration/room/${name}?token=${s.token}`);
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const first = new Promise(res => ws.once('message', res));
  ws.send(new Uint8Array([0, 0, 1, 0])); await first;
  const doc = new Y.Doc();
  doc.on('update', u => { const e = encoding.createEncoder(); encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 2); encoding.writeVarUint8Array(e, u); ws.send(encoding.toUint8Array(e)); });
  doc.getText('t').insert(0, 'x'.repeat(1000));
  socks.push(ws);
}
for (let r = 0; r < WARM; r++) await room(`w${r}`);
await sleep(1000);
const a = smaps(s.pid);
for (let r = 0; r < N; r++) await room(r);
await sleep(2000);
const b = smaps(s.pid);
let total = 0;
const rows = Object.keys({ ...a, ...b }).map(k => [k, (b[k] || 0) - (a[k] || 0)]).filter(([, d]) => d !== 0).sort((x, y) => y[1] - x[1]);
for (const [k, d] of rows) { total += d; if (Math.abs(d) > 100) console.log(`${(d / N).toFixed(2).padStart(8)} KB/room  ${k}`); }
console.log(`${(total / N).toFixed(2)} KB/room total (${N} rooms after ${WARM} warm-up rooms)`);
if (process.env.HOLD) { console.log("pid", s.pid); await sleep(Number(process.env.HOLD)); }
socks.forEach(x => x.terminate());
await s.stop();

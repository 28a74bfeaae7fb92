// The contents benchmark: each metric is measured on JupyterRtc and on Jupyter Server 1.23 in the same run, on
// identical roots, and printed as
//   RESULT suite=contents metric=<name> ours=<v> peer=jupyter-server-1.23:<v> ratio=<ours/peer>
// All metrics are times (lower is better); the 32-client throughput is reported as wall time per request.
// Options: --reps N (default 5), --seconds S for the throughput run (default 3), --peer-only (Jupyter Server alone).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { startServer, tempDir } from '../../tests/node/lib/servers.mjs';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const REPS = arg('reps', 5);
const SECONDS = arg('seconds', 3);
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

function makeRoot() {
  const root = path.join(tempDir('jrtc-bench-contents-'), 'root');
  fs.mkdirSync(path.join(root, 'many'), { recursive: true });
  for (let i = 0; i < 10000; i++) fs.writeFileSync(path.join(root, 'many', `file-${String(i).padStart(5, '0')}.txt`), `file ${i}\n`);
  fs.writeFileSync(path.join(root, 'small.txt'), 'a small file\n');
  // A ~20 MB notebook: 2,000 code cells, each with a 10 KB stream output, written the way nbformat writes them.
  const line = 'x'.repeat(99) + '\n';
  const cells = [];
  for (let i = 0; i < 2000; i++) {
    cells.push({ cell_type: 'code', execution_count: i + 1, id: `cell-${i}`, metadata: {},
      outputs: [{ name: 'stdout', output_type: 'stream', text: Array(100).fill(line) }],
      source: [`for i in range(100):\n`, `    print('x' * 99)  # cell ${i}`] });
  }
  const nb = { cells, metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4, nbformat_minor: 5 };
  fs.writeFileSync(path.join(root, 'big.ipynb'), JSON.stringify(nb, null, 1) + '\n');
  return root;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(server, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.baseUrl}${urlPath}`, { method, agent,
      headers: { Authorization: `token ${server.token}`, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}) } },
    res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => res.statusCode < 300 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`)));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function timeMs(fn) { const t = performance.now(); await fn(); return performance.now() - t; }

// The load generator must cost far less than the servers it measures, or both ratios converge on the client's own
// cost (node:http spends ~100 us per request). So: 32 keep-alive sockets, each sending a fixed request and reading
// just enough of the response (headers, then Content-Length bytes) to know it ended.
function rawClient(server, urlPath) {
  const u = new URL(`${server.baseUrl}${urlPath}`);
  const request = Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: token ${server.token}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => resolve({ socket, request }));
    socket.on('error', reject);
  });
}

function runConnection({ socket, request }, end, counter) {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    const send = () => { if (performance.now() < end) socket.write(request); else { socket.end(); resolve(); } };
    socket.on('data', chunk => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        const headerEnd = pending.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = pending.subarray(0, headerEnd).toString('latin1');
        const status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!m) { reject(new Error('response without Content-Length')); return; }
        const total = headerEnd + 4 + Number(m[1]);
        if (pending.length < total) return;
        if (status !== 200) { reject(new Error(`status ${status}`)); return; }
        pending = pending.subarray(total);
        counter.done++;
        send();
      }
    });
    socket.on('error', reject);
    send();
  });
}

async function throughputUsPerRequest(server, urlPath, clients, seconds) {
  const conns = await Promise.all(Array.from({ length: clients }, () => rawClient(server, urlPath)));
  const counter = { done: 0 };
  const started = performance.now();
  await Promise.all(conns.map(c => runConnection(c, started + seconds * 1000, counter)));
  return (performance.now() - started) * 1000 / counter.done;
}

async function measure(kind, root) {
  const out = {};
  const starts = [];
  for (let i = 0; i < REPS; i++) {
    const s = await startServer({ kind, root });
    starts.push(s.readyMs);
    await s.stop();
  }
  out.startup_to_first_status_ms = median(starts);
  const server = await startServer({ kind, root });
  try {
    const list = [];
    await request(server, 'GET', 'api/contents/many?content=1');
    for (let i = 0; i < REPS; i++) list.push(await timeMs(() => request(server, 'GET', 'api/contents/many?content=1')));
    out.list_dir_10000_files_ms = median(list);

    const gets = [], puts = [];
    let body = null;
    for (let i = 0; i < REPS; i++) {
      gets.push(await timeMs(async () => { body = await request(server, 'GET', 'api/contents/big.ipynb?type=notebook&content=1'); }));
    }
    out.get_20mb_notebook_ms = median(gets);
    // Save what was read, as JupyterLab does (a model with type/format/content).
    const model = JSON.parse(body);
    const putBody = Buffer.from(JSON.stringify({ type: 'notebook', format: 'json', content: model.content }));
    for (let i = 0; i < REPS; i++) puts.push(await timeMs(() => request(server, 'PUT', 'api/contents/big-copy.ipynb', putBody)));
    out.put_20mb_notebook_ms = median(puts);

    await throughputUsPerRequest(server, 'api/contents/small.txt', 32, 1); // warm-up
    out.small_file_us_per_request_32_clients = await throughputUsPerRequest(server, 'api/contents/small.txt', 32, SECONDS);
  } finally {
    await server.stop();
  }
  return out;
}

const root = makeRoot();
try {
  const peer = await measure('jupyter', root);
  const ours = process.argv.includes('--peer-only') ? null : await measure('ours', root);
  if (!ours) console.log(peer);
  for (const metric of ours ? Object.keys(peer) : []) {
    const o = ours[metric], p = peer[metric];
    console.log(`RESULT suite=contents metric=${metric} ours=${o.toFixed(2)} peer=jupyter-server-1.23:${p.toFixed(2)} ratio=${(o / p).toFixed(3)}`);
  }
} finally {
  agent.destroy();
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
}

// Two to five JupyterLab clients (@jupyter/docprovider + @jupyter/ydoc) edit one notebook at the same time with a
// seeded random mix of operations: source edits at random UTF-16 positions (astral characters included), cell
// inserts, deletes and moves, cell metadata and notebook metadata. All clients converge to the same notebook, and
// after a save the file on disk equals it (nbformat's layout aside). COLLAB_SEED=<n> replays a failing run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './lib/servers.mjs';
import { openDocument, until } from './lib/collab.mjs';

let server;
before(async () => {
  server = await startServer({ args: ['--YDocExtension.document_save_delay=0.3', '--YDocExtension.file_poll_interval=0.5'] });
});
after(async () => { await server?.stop(); });

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const pieces = ['a', 'xyz', ' ', '\n', 'é', '😀', '📊', '漢', 'print(1)', '\t'];

function randomEdit(nb, r, who) {
  const n = nb.cells.length;
  const op = r();
  if (n === 0 || op < 0.08) { nb.insertCell(Math.floor(r() * (n + 1)), { cell_type: r() < 0.7 ? 'code' : 'markdown', source: `${who} new` }); return; }
  const i = Math.floor(r() * n);
  const cell = nb.getCell(i);
  if (op < 0.12 && n > 2) { nb.deleteCell(i); return; }
  if (op < 0.15 && n > 1) { nb.moveCell(i, Math.floor(r() * n)); return; }
  if (op < 0.22) { cell.setMetadata('tags', [who, String(Math.floor(r() * 5))]); return; }
  if (op < 0.25) { nb.setMetadata({ ...nb.metadata, [`by_${who}`]: Math.floor(r() * 100) }); return; }
  // A source edit at a code-unit position that does not split a surrogate pair.
  const src = cell.source;
  let at = Math.floor(r() * (src.length + 1));
  if (at > 0 && at < src.length && /[\uDC00-\uDFFF]/.test(src[at])) at--;
  if (r() < 0.3 && src.length > 0) {
    let end = Math.min(src.length, at + 1 + Math.floor(r() * 4));
    if (end < src.length && /[\uDC00-\uDFFF]/.test(src[end])) end++;
    cell.updateSource(at, end, '');
  } else cell.updateSource(at, at, pieces[Math.floor(r() * pieces.length)]);
}

const view = nb => nb.cells.map(c => ({ type: c.cell_type, source: c.source, tags: c.getMetadata('tags') ?? null }));

for (const clients of [2, 5]) {
  test(`${clients} clients editing concurrently converge, and the file equals the document`, async () => {
    const seed = Number(process.env.COLLAB_SEED ?? 1000 + clients);
    const name = `converge-${clients}.ipynb`;
    fs.writeFileSync(path.join(server.root, name), JSON.stringify({ cells: [0, 1, 2].map(i => ({ cell_type: 'code', execution_count: null,
      id: `c${i}`, metadata: {}, outputs: [], source: `cell ${i}` })), metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    const docs = [];
    try {
      for (let i = 0; i < clients; i++) docs.push(await openDocument(server, name, { user: `user${i}` }));
      await Promise.all(docs.map(d => d.ready));
      const rand = rng(seed);
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < clients; i++) randomEdit(docs[i].model, rand, `u${i}`);
        if (round % 10 === 9) await new Promise(r => setTimeout(r, 30));
      }
      await until(() => docs.every(d => JSON.stringify(view(d.model)) === JSON.stringify(view(docs[0].model))), `convergence (seed ${seed})`, 20000);
      // Map key order depends on arrival order in Yjs itself: compare with sorted keys.
      const sorted = o => JSON.stringify(Object.keys(o).sort().map(k => [k, o[k]]));
      await until(() => docs.every(d => sorted(d.model.metadata) === sorted(docs[0].model.metadata)), `notebook metadata convergence (seed ${seed})`, 20000);
      await docs[0].provider.save();
      const saved = JSON.parse(fs.readFileSync(path.join(server.root, name), 'utf8'));
      const final = view(docs[0].model);
      assert.deepEqual(saved.cells.map(c => ({ type: c.cell_type, source: c.source.join(''), tags: c.metadata.tags ?? null })), final, `seed ${seed}`);
      assert.equal(new Set(saved.cells.map(c => c.id)).size, saved.cells.length, 'cell ids are unique on disk');
    } finally { docs.forEach(d => d.close()); }
  });
}

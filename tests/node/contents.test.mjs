// JupyterLab's own client code (@jupyterlab/services ContentsManager) drives the Contents API of our server:
// list, get, save, chunked upload (the file browser's 1 MiB base64 chunks), rename, copy, delete and checkpoints.
// CONTENTS_TEST_SERVER=jupyter runs the same file against Debian's Jupyter Server 1.23, to check the test itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, serverSettings } from './lib/servers.mjs';

const kind = process.env.CONTENTS_TEST_SERVER === 'jupyter' ? 'jupyter' : 'ours';
let server, contents;

before(async () => {
  server = await startServer({ kind, args: ['--FileContentsManager.delete_to_trash=False'] });
  fs.writeFileSync(path.join(server.root, 'hello.txt'), 'hello world\n');
  fs.mkdirSync(path.join(server.root, 'sub'));
  fs.writeFileSync(path.join(server.root, 'sub', 'inner.txt'), 'inner\n');
  const { ContentsManager } = await import('@jupyterlab/services');
  contents = new ContentsManager({ serverSettings: await serverSettings(server) });
});

after(async () => { contents?.dispose(); await server?.stop(); });

test('lists the root directory', async () => {
  const model = await contents.get('', { content: true });
  assert.equal(model.type, 'directory');
  assert.equal(model.path, '');
  const names = model.content.map(c => c.name).sort();
  assert.deepEqual(names, ['hello.txt', 'sub']);
  const hello = model.content.find(c => c.name === 'hello.txt');
  assert.equal(hello.type, 'file');
  assert.equal(hello.content, null);
  assert.equal(hello.size, 12);
});

test('gets a file as text and as base64, and a directory', async () => {
  const text = await contents.get('hello.txt', { type: 'file', format: 'text', content: true });
  assert.equal(text.content, 'hello world\n');
  assert.equal(text.format, 'text');
  assert.equal(text.mimetype, 'text/plain');
  const b64 = await contents.get('hello.txt', { type: 'file', format: 'base64', content: true });
  assert.equal(Buffer.from(b64.content.replace(/\n/g, ''), 'base64').toString(), 'hello world\n');
  const dir = await contents.get('sub');
  assert.deepEqual(dir.content.map(c => c.path), ['sub/inner.txt']);
  await assert.rejects(contents.get('missing.txt'), e => e.response?.status === 404);
});

test('saves text and notebooks and reads them back', async () => {
  const saved = await contents.save('notes.md', { type: 'file', format: 'text', content: '# notes\n' });
  assert.equal(saved.path, 'notes.md');
  assert.equal((await contents.get('notes.md')).content, '# notes\n');
  const nb = { cells: [{ cell_type: 'code', execution_count: null, id: 'c1', metadata: {}, outputs: [],
    source: 'print(1)\nprint(2)' }], metadata: {}, nbformat: 4, nbformat_minor: 5 };
  await contents.save('analysis.ipynb', { type: 'notebook', format: 'json', content: nb });
  const back = await contents.get('analysis.ipynb', { type: 'notebook', content: true });
  assert.equal(back.type, 'notebook');
  assert.equal(back.content.cells[0].source, 'print(1)\nprint(2)');
  assert.equal(back.content.nbformat, 4);
});

test('creates untitled files, notebooks and directories', async () => {
  const nb = await contents.newUntitled({ path: '', type: 'notebook' });
  assert.equal(nb.path, 'Untitled.ipynb');
  const py = await contents.newUntitled({ path: 'sub', type: 'file', ext: '.py' });
  assert.equal(py.path, 'sub/untitled.py');
  const dir = await contents.newUntitled({ path: '', type: 'directory' });
  assert.equal(dir.path, 'Untitled Folder');
});

test('uploads a large file in 1 MiB chunks as the file browser does', async () => {
  // The file browser (filebrowser/src/model.ts) slices the file into 1 MiB pieces, base64 each, and saves them with
  // chunk = 1, 2, ..., -1 for the last one.
  const CHUNK = 1024 * 1024;
  const data = Buffer.alloc(CHUNK * 2 + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  let model;
  for (let start = 0; start < data.length; start += CHUNK) {
    const last = start + CHUNK >= data.length;
    const chunk = last ? -1 : start / CHUNK + 1;
    model = await contents.save('upload.bin', { type: 'file', format: 'base64', chunk,
      content: data.subarray(start, start + CHUNK).toString('base64') });
  }
  assert.equal(model.path, 'upload.bin');
  assert.ok(fs.readFileSync(path.join(server.root, 'upload.bin')).equals(data));
  const info = await contents.get('upload.bin', { content: false });
  assert.equal(info.size, data.length);
});

test('renames, moves and copies', async () => {
  await contents.save('a.txt', { type: 'file', format: 'text', content: 'A' });
  const renamed = await contents.rename('a.txt', 'b.txt');
  assert.equal(renamed.path, 'b.txt');
  const moved = await contents.rename('b.txt', 'sub/b.txt');
  assert.equal(moved.path, 'sub/b.txt');
  await assert.rejects(contents.rename('sub/b.txt', 'hello.txt'), e => e.response?.status === 409);
  const copy = await contents.copy('hello.txt', '');
  assert.equal(copy.path, 'hello-Copy1.txt');
  const copyInSub = await contents.copy('hello.txt', 'sub');
  assert.equal(copyInSub.path, 'sub/hello.txt');
  assert.equal((await contents.get('sub/hello.txt')).content, 'hello world\n');
});

test('deletes files and directories', async () => {
  await contents.save('gone.txt', { type: 'file', format: 'text', content: 'x' });
  await contents.delete('gone.txt');
  await assert.rejects(contents.get('gone.txt'), e => e.response?.status === 404);
  await contents.save('emptydir', { type: 'directory' });
  await contents.delete('emptydir');
  assert.equal(fs.existsSync(path.join(server.root, 'emptydir')), false);
});

test('creates, lists, restores and deletes checkpoints', async () => {
  await contents.save('doc.txt', { type: 'file', format: 'text', content: 'version 1\n' });
  const cp = await contents.createCheckpoint('doc.txt');
  assert.equal(cp.id, 'checkpoint');
  assert.ok(cp.last_modified);
  assert.deepEqual((await contents.listCheckpoints('doc.txt')).map(c => c.id), ['checkpoint']);
  await contents.save('doc.txt', { type: 'file', format: 'text', content: 'version 2\n' });
  await contents.restoreCheckpoint('doc.txt', 'checkpoint');
  assert.equal((await contents.get('doc.txt')).content, 'version 1\n');
  await contents.deleteCheckpoint('doc.txt', 'checkpoint');
  assert.deepEqual(await contents.listCheckpoints('doc.txt'), []);
});

test('reports a changed file through last_modified (and hash where the server has it)', async () => {
  await contents.save('watched.txt', { type: 'file', format: 'text', content: 'one' });
  const first = await contents.get('watched.txt', { content: false, hash: true });
  await new Promise(r => setTimeout(r, 20));
  fs.writeFileSync(path.join(server.root, 'watched.txt'), 'two');
  const second = await contents.get('watched.txt', { content: false, hash: true });
  assert.notEqual(second.last_modified, first.last_modified);
  if (kind === 'ours') {
    assert.equal(second.hash_algorithm, 'sha256');
    assert.notEqual(second.hash, first.hash);
  }
});

// The document lifecycle under faults, with JupyterLab's own provider and models: disconnects longer than the room's
// life, server restarts with open tabs (with and without the stored history), changes made to the file on disk with
// and without unsaved edits, Contents API saves, renames and deletes of open files, a 1,000-cell notebook, concurrent
// astral-character edits, and a generic room of a plain Yjs application. Every test checks for loss and duplication.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, freePort } from './lib/servers.mjs';
import { openDocument, until, yjs } from './lib/collab.mjs';

const ARGS = ['--YDocExtension.document_save_delay=0.2', '--YDocExtension.file_poll_interval=0.2', '--YDocExtension.document_cleanup_delay=0.5'];
let server, root, dataDir, port;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jrtc-collab-life-'));

async function start() {
  server = await startServer({ root, port, args: ARGS, env: { JUPYTER_DATA_DIR: dataDir } });
}
const api = async (method, url, body) => {
  const r = await fetch(`${server.baseUrl}${url}`, { method, headers: { Authorization: `token ${server.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};
const file = name => path.join(root, name);
const disk = name => JSON.parse(fs.readFileSync(file(name), 'utf8'));
const sources = nb => nb.cells.map(c => (Array.isArray(c.source) ? c.source.join('') : c.source));
const notebook = (cells, minor = 5) => JSON.stringify({ cells: cells.map((s, i) => ({ cell_type: 'code', execution_count: null,
  id: `c${i}`, metadata: {}, outputs: [], source: s })), metadata: {}, nbformat: 4, nbformat_minor: minor }, null, 1) + '\n';
const sleep = ms => new Promise(r => setTimeout(r, ms));

before(async () => {
  root = path.join(work, 'root');
  dataDir = path.join(work, 'data');
  fs.mkdirSync(root);
  port = await freePort();
  await start();
});

after(async () => { await server?.stop(); fs.rmSync(work, { recursive: true, force: true }); });

test('[§6 #1 duplication after a long disconnect] a client offline for longer than the room lives merges its edits back without duplicating anything', async () => {
  fs.writeFileSync(file('offline.ipynb'), notebook(['a = 1', 'b = 2']));
  const a = await openDocument(server, 'offline.ipynb', { user: 'alice' });
  const b = await openDocument(server, 'offline.ipynb', { user: 'bob' });
  try {
    await Promise.all([a.ready, b.ready]);
    a.ws.disconnect();
    b.model.getCell(1).setSource('b = 20');
    await b.provider.save();
    b.close();
    await sleep(1500);                                   // the room is freed (cleanup delay 0.5 s)
    a.model.getCell(0).setSource('a = 10');              // an offline edit
    a.ws.connect();
    await until(() => a.model.getCell(1).source === 'b = 20', 'alice to receive bob\'s edit');
    await until(() => sources(disk('offline.ipynb')).join('|') === 'a = 10|b = 20', 'both edits on disk');
    assert.equal(a.model.cells.length, 2);
  } finally { a.close(); }
});

test('[§6 #1, #9 server restart with open tabs] the tabs resume from the stored history, offline edits included, nothing doubled', async () => {
  fs.writeFileSync(file('restart.ipynb'), notebook(['x = 1', 'y = 2', 'z = 3']));
  const a = await openDocument(server, 'restart.ipynb', { user: 'alice' });
  const b = await openDocument(server, 'restart.ipynb', { user: 'bob' });
  try {
    await Promise.all([a.ready, b.ready]);
    a.model.getCell(0).setSource('x = 100');
    await until(() => sources(disk('restart.ipynb'))[0] === 'x = 100', 'autosave before the restart');
    await server.stop();
    b.model.getCell(2).setSource('z = 300');            // edited while the server is down
    await start();
    await until(() => a.model.getCell(2).source === 'z = 300', 'alice to get bob\'s offline edit after the restart', 20000);
    await until(() => sources(disk('restart.ipynb')).join('|') === 'x = 100|y = 2|z = 300', 'the merged file', 20000);
    assert.equal(a.model.cells.length, 3);
    assert.equal(b.model.cells.length, 3);
    assert.equal(globalThis.__dialogs.filter(d => /expired/i.test(d.title)).length, 0);
  } finally { a.close(); b.close(); }
});

test('[§6 #1, #10 restart without the stored history] a restart that lost the stored history makes open tabs reload instead of merging a stale copy', async () => {
  fs.writeFileSync(file('lost.ipynb'), notebook(['p = 1', 'q = 2']));
  const a = await openDocument(server, 'lost.ipynb', { user: 'alice' });
  try {
    await a.ready;
    await server.stop();
    fs.rmSync(path.join(dataDir, 'jupyter-rtc', 'ystore'), { recursive: true, force: true });
    const before = globalThis.__dialogs.length;
    await start();
    await until(() => globalThis.__dialogs.length > before, 'the session-expired dialog', 20000);
    assert.match(globalThis.__dialogs.at(-1).title, /Session expired/);
    await sleep(500);
    assert.deepEqual(sources(disk('lost.ipynb')), ['p = 1', 'q = 2']);     // nothing was merged into the file
    const fresh = await openDocument(server, 'lost.ipynb', { user: 'alice2' });
    await fresh.ready;
    assert.equal(fresh.model.cells.length, 2);
    fresh.close();
  } finally { a.close(); }
});

test('[§6 #5, #17 out-of-band change] a change on disk reaches a clean document granularly, and a touch changes nothing', async () => {
  fs.writeFileSync(file('external.ipynb'), notebook(['one', 'two', 'three']));
  const a = await openDocument(server, 'external.ipynb');
  try {
    await a.ready;
    const second = a.model.getCell(1);
    fs.writeFileSync(file('external.ipynb'), notebook(['one', 'two', 'three, changed on disk']));
    await until(() => a.model.getCell(2).source === 'three, changed on disk', 'the disk change');
    assert.equal(a.model.getCell(1), second);          // untouched cells are the same objects: no reset
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(file('external.ipynb'), t, t);       // a touch
    await sleep(600);
    assert.equal(a.model.cells.length, 3);
    assert.equal(fs.readdirSync(root).filter(n => n.includes('.disk-')).length, 0);
  } finally { a.close(); }
});

test('[§6 #5, #7 external edits during unsaved edits] a change on disk during unsaved edits is merged; a conflicting one keeps both versions', async () => {
  fs.writeFileSync(file('merge.ipynb'), notebook(['cell 0', 'cell 1', 'cell 2']));
  const a = await openDocument(server, 'merge.ipynb');
  try {
    await a.ready;
    a.model.awareness.setLocalStateField('autosave', false);   // the user turned autosave off: edits stay unsaved
    await sleep(300);
    a.model.getCell(0).setSource('cell 0, edited in the browser');
    await sleep(300);
    fs.writeFileSync(file('merge.ipynb'), notebook(['cell 0', 'cell 1, edited on disk', 'cell 2']));
    await until(() => a.model.getCell(1).source === 'cell 1, edited on disk', 'the merged disk edit');
    assert.equal(a.model.getCell(0).source, 'cell 0, edited in the browser');
    await a.provider.save();
    assert.deepEqual(sources(disk('merge.ipynb')), ['cell 0, edited in the browser', 'cell 1, edited on disk', 'cell 2']);

    a.model.getCell(2).setSource('cell 2, browser version');
    // The server must hold the edit before the disk changes, or the document is still clean and simply takes the disk
    // version: an observer with no say in autosave shows when it has.
    const observer = await openDocument(server, 'merge.ipynb', { user: 'bob', autosave: null });
    try {
      await observer.ready;
      await until(() => observer.model.getCell(2)?.source === 'cell 2, browser version', 'the server to have the edit');
    } finally { observer.close(); }
    fs.writeFileSync(file('merge.ipynb'), notebook(['cell 0, edited in the browser', 'cell 1, edited on disk', 'cell 2, disk version']));
    const copy = await until(() => fs.readdirSync(root).find(n => n.startsWith('merge.disk-')), 'the disk version kept aside');
    assert.equal(sources(JSON.parse(fs.readFileSync(file(copy), 'utf8')))[2], 'cell 2, disk version');
    assert.equal(a.model.getCell(2).source, 'cell 2, browser version');
    await a.provider.save();
    assert.equal(sources(disk('merge.ipynb'))[2], 'cell 2, browser version');
  } finally { a.close(); }
});

test('[§6 #5 REST save while open] a Contents API save of an open file is merged into its room', async () => {
  fs.writeFileSync(file('put.ipynb'), notebook(['first', 'second']));
  const a = await openDocument(server, 'put.ipynb');
  try {
    await a.ready;
    const model = (await api('GET', 'api/contents/put.ipynb')).body;
    model.content.cells[1].source = 'second, saved over REST';
    assert.equal((await api('PUT', 'api/contents/put.ipynb', { type: 'notebook', format: 'json', content: model.content })).status, 200);
    await until(() => a.model.getCell(1).source === 'second, saved over REST', 'the REST save in the room');
    assert.equal(a.model.cells.length, 2);
  } finally { a.close(); }
});

test('[§6 #15 rename, #16 delete while open] rename and move while open keep the room and its path; delete stops saving', async () => {
  fs.mkdirSync(file('sub'), { recursive: true });
  fs.writeFileSync(file('moving.ipynb'), notebook(['m']));
  const a = await openDocument(server, 'moving.ipynb');
  try {
    await a.ready;
    assert.equal((await api('PATCH', 'api/contents/moving.ipynb', { path: 'sub/moved.ipynb' })).status, 200);
    await until(() => a.model.ydoc.getMap('state').get('path') === 'sub/moved.ipynb', 'state.path to follow');
    a.model.getCell(0).setSource('m, after the move');
    await a.provider.save();
    assert.equal(sources(disk('sub/moved.ipynb'))[0], 'm, after the move');
    assert.ok(!fs.existsSync(file('moving.ipynb')));
    const before = globalThis.__dialogs.length;
    assert.equal((await api('DELETE', 'api/contents/sub/moved.ipynb')).status, 204);
    // The client is told, with JupyterLab's "Document error" dialog, and nothing is written at the old path again.
    await until(() => globalThis.__dialogs.slice(before).some(d => /deleted/.test(d.body)), 'the deleted-file dialog');
    a.model.getCell(0).setSource('edited after the delete');
    await sleep(800);
    assert.ok(!fs.existsSync(file('sub/moved.ipynb')));
  } finally { a.close(); }
});

test('[§6 #15 rename by another program] a notebook moved with mv while open keeps its room, its unsaved edits and its saves', async () => {
  fs.mkdirSync(file('elsewhere'), { recursive: true });
  fs.writeFileSync(file('outside.ipynb'), notebook(['o']));
  const a = await openDocument(server, 'outside.ipynb');
  const b = await openDocument(server, 'outside.ipynb', { user: 'bob' });
  try {
    await Promise.all([a.ready, b.ready]);
    a.model.getCell(0).setSource('o, saved');
    await a.provider.save();                             // a save writes a new file (new inode): the id must follow that one
    const before = globalThis.__dialogs.length;
    fs.renameSync(file('outside.ipynb'), file('renamed.ipynb'));
    await until(() => a.model.ydoc.getMap('state').get('path') === 'renamed.ipynb', 'state.path to follow the mv');
    b.model.getCell(0).setSource('o, after the mv');
    await until(() => sources(disk('renamed.ipynb'))[0] === 'o, after the mv', 'the edit saved at the new path');
    // Into another directory, with an unsaved edit made just before.
    a.model.getCell(0).setSource('o, before the second mv');
    fs.renameSync(file('renamed.ipynb'), file('elsewhere/final.ipynb'));
    await until(() => a.model.ydoc.getMap('state').get('path') === 'elsewhere/final.ipynb', 'state.path to follow the second mv');
    await until(() => sources(disk('elsewhere/final.ipynb'))[0] === 'o, before the second mv', 'the unsaved edit saved at the new path');
    assert.ok(!fs.existsSync(file('outside.ipynb')) && !fs.existsSync(file('renamed.ipynb')), 'nothing written at the old paths');
    assert.equal(globalThis.__dialogs.length, before, 'no "deleted" dialog');
    const id = (await api('GET', 'api/fileid/id?path=elsewhere/final.ipynb')).body?.id;
    assert.equal(a.ws.roomname, `json:notebook:${id}`, 'the room (and its file id) stayed with the file');
  } finally { a.close(); b.close(); }
});

test('[§6 #20 large notebook] a 1,000-cell notebook opens in two clients and saves', async () => {
  fs.writeFileSync(file('big.ipynb'), notebook(Array.from({ length: 1000 }, (_, i) => `value_${i} = ${i} * 2\nprint(value_${i})`)));
  const a = await openDocument(server, 'big.ipynb', { user: 'alice' });
  const b = await openDocument(server, 'big.ipynb', { user: 'bob' });
  try {
    await Promise.all([a.ready, b.ready]);
    assert.equal(a.model.cells.length, 1000);
    a.model.getCell(999).setSource('last = True');
    b.model.getCell(0).setSource('first = True');
    await until(() => b.model.getCell(999).source === 'last = True' && a.model.getCell(0).source === 'first = True', 'both edits');
    await until(() => { const s = sources(disk('big.ipynb')); return s.length === 1000 && s[0] === 'first = True' && s[999] === 'last = True'; }, 'saved');
  } finally { a.close(); b.close(); }
});

test('[§6 #13 unicode offsets] concurrent edits around astral characters converge and are saved intact', async () => {
  fs.writeFileSync(file('emoji.ipynb'), notebook(['📊 data 👩‍👩‍👧‍👦 end']));
  const a = await openDocument(server, 'emoji.ipynb', { user: 'alice' });
  const b = await openDocument(server, 'emoji.ipynb', { user: 'bob' });
  try {
    await Promise.all([a.ready, b.ready]);
    const ca = a.model.getCell(0), cb = b.model.getCell(0);
    ca.updateSource(0, 0, '🎉');                               // before the first emoji
    cb.updateSource(cb.source.length, cb.source.length, ' 😀');  // at the end
    await until(() => ca.source === cb.source && ca.source.startsWith('🎉') && ca.source.endsWith('😀'), 'convergence');
    await until(() => sources(disk('emoji.ipynb'))[0] === ca.source, 'saved');
    assert.equal(sources(disk('emoji.ipynb'))[0], '🎉📊 data 👩‍👩‍👧‍👦 end 😀');
  } finally { a.close(); b.close(); }
});

test('a generic room of a plain Yjs application is shared and kept across a restart', async () => {
  const Y = await yjs();
  const { WebsocketProvider } = await import('y-websocket');
  const { default: WebSocket } = await import('ws');
  const open = () => {
    const doc = new Y.Doc();
    const p = new WebsocketProvider(`${server.wsUrl}api/collaboration/room`, 'todo-example', doc,
      { WebSocketPolyfill: WebSocket, params: { token: server.token }, disableBc: true });
    return { doc, p, synced: new Promise(r => p.once('synced', r)) };
  };
  const one = open(), two = open();
  await Promise.all([one.synced, two.synced]);
  one.doc.getArray('todos').push([{ text: 'write tests', done: false }]);
  two.doc.getArray('todos').push([{ text: 'ship', done: false }]);
  await until(() => one.doc.getArray('todos').length === 2 && two.doc.getArray('todos').length === 2, 'both items everywhere');
  one.p.destroy(); two.p.destroy(); one.doc.destroy(); two.doc.destroy();
  await sleep(1000);
  await server.stop();
  await start();
  const three = open();
  await three.synced;
  assert.deepEqual(three.doc.getArray('todos').toJSON().map(t => t.text).sort(), ['ship', 'write tests']);
  three.p.destroy();
  three.doc.destroy();   // its awareness timer would keep the process alive
});

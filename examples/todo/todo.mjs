// A shared todo list kept by JupyterRtc in a generic room: any Yjs application can do the same.
// Usage (needs yjs, y-websocket and ws, e.g. from tests/node: cd tests/node && npm ci):
//   node examples/todo/todo.mjs <server url> <token> list
//   node examples/todo/todo.mjs <server url> <token> add "buy milk"
//   node examples/todo/todo.mjs <server url> <token> done <number>
//   node examples/todo/todo.mjs <server url> <token> watch        (prints the list whenever anyone changes it)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolve the npm packages from tests/node (the repository's one node_modules).
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'node', 'package.json'));
const Y = require('yjs');
const { WebsocketProvider } = require('y-websocket');
const WebSocket = require('ws');

const [server = 'http://127.0.0.1:8888/', token = '', command = 'list', ...rest] = process.argv.slice(2);
const wsUrl = server.replace(/^http/, 'ws').replace(/\/?$/, '/') + 'api/collaboration/room';
const doc = new Y.Doc();
const todos = doc.getArray('todos');
const provider = new WebsocketProvider(wsUrl, 'todo-example', doc, { WebSocketPolyfill: WebSocket, params: token ? { token } : {}, disableBc: true });

const print = () => {
  if (todos.length === 0) console.log('(nothing to do)');
  todos.toArray().forEach((t, i) => console.log(`${i + 1}. [${t.get('done') ? 'x' : ' '}] ${t.get('text')}`));
};

const giveUp = setTimeout(() => { console.error(`could not sync with ${wsUrl} (server down, or a wrong token?)`); process.exit(1); }, 5000);

provider.once('synced', () => {
  clearTimeout(giveUp);
  if (command === 'add') {
    const item = new Y.Map();
    item.set('text', rest.join(' '));
    item.set('done', false);
    todos.push([item]);
  } else if (command === 'done') {
    todos.get(Number(rest[0]) - 1)?.set('done', true);
  }
  print();
  if (command === 'watch') { todos.observeDeep(() => { console.log('--'); print(); }); return; }
  // Give the update a moment to leave, then quit.
  setTimeout(() => { provider.destroy(); process.exit(0); }, 300);
});
provider.on('connection-close', e => { if (e?.code >= 4000 || e?.code === 1008) { console.error(`closed: ${e.code} ${e.reason}`); process.exit(1); } });

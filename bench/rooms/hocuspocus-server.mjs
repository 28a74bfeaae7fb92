// Hocuspocus for bench/rooms, bound to 127.0.0.1 only (its own listen() ignores the address): a plain http server
// whose upgrades go to Hocuspocus' connection handler. No extensions: documents live in memory.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { Hocuspocus } from '@hocuspocus/server';

const port = Number(process.argv[2]);
const hocuspocus = new Hocuspocus({ quiet: true });
const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((_, res) => res.end('okay'));
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => {
    const connection = hocuspocus.handleConnection(ws, request);
    ws.on('message', data => connection.handleMessage(new Uint8Array(data)));
    ws.on('close', (code, reason) => connection.handleClose({ code, reason: reason.toString() }));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`hocuspocus on 127.0.0.1:${port}`));

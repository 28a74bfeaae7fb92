// The floor for bench/rooms' latency (--only relay): a server that does no CRDT work at all. Each frame a client sends
// is written at once to every other client of the same room (the URL's path), as it came, except a sync step 1, which
// is answered with an empty sync step 2: that answer is all the benchmark's clients wait for. Whatever latency this shows is the part that any server
// shares here: the clients' one Node process, the kernel's loopback, and the machine's two cores.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const rooms = new Map();
const syncStep2Empty = new Uint8Array([0, 1, 2, 0, 0]);
const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((_, res) => res.end('okay'));
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => {
    const name = request.url;
    if (!rooms.has(name)) rooms.set(name, new Set());
    const room = rooms.get(name);
    room.add(ws);
    ws.on('message', data => {
      if (data[0] === 0 && data[1] === 0) { ws.send(syncStep2Empty); return; }
      for (const other of room) if (other !== ws) other.send(data);
    });
    ws.on('close', () => room.delete(ws));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`relay on 127.0.0.1:${port}`));

// Starts the servers Node suites talk to: ours (the built jupyter-rtc.dll) and, where a suite compares, Debian's
// Jupyter Server 1.23. Each binds 127.0.0.1 on a free port with throwaway runtime/config dirs, is waited for with
// GET /api/status, and is stopped by PID (process group) in stop(), which tests call from `after`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function buildDir() {
  const candidates = [process.env.JUPYTER_RTC_BUILD,
    path.join(repoRoot, 'src/JupyterRtc.Server/bin/Release/net10.0'),
    path.join(repoRoot, 'src/JupyterRtc.Server/bin/Debug/net10.0')].filter(Boolean);
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'jupyter-rtc.dll'))) return dir;
  throw new Error('jupyter-rtc.dll is not built: run `dotnet build -c Release` or set JUPYTER_RTC_BUILD');
}

// Ports below the kernel's ephemeral range (32768 and up by default): a port taken with port 0 and released can be
// handed to any outgoing connection before the server started on it binds it. Different at each call, per process.
const lowestPort = 20000;
let nextPort = lowestPort + (process.pid % 4000);
function ephemeralStart() {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > lowestPort + 1000) return low;
  } catch { /* not Linux: the default */ }
  return 32768;
}

function canListen(port) {
  return new Promise(resolve => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort() {
  const end = ephemeralStart();
  for (let tries = 0; tries < end - lowestPort; tries++) {
    const port = lowestPort + ((nextPort++ - lowestPort) % (end - lowestPort));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${lowestPort} and ${end}`);
}

export function tempDir(prefix = 'jrtc-node-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** kind: 'ours' | 'jupyter'. Returns {baseUrl, wsUrl, token, root, port, readyMs, stop(), log()}. */
export async function startServer({ kind = 'ours', root, token = 'nodetesttoken', args = [], env = {}, port: fixedPort } = {}) {
  const scratch = tempDir(`jrtc-${kind}-`);
  if (!root) { root = path.join(scratch, 'root'); fs.mkdirSync(root); }
  const port = fixedPort ?? await freePort();
  const common = [`--ServerApp.ip=127.0.0.1`, `--ServerApp.port=${port}`, '--ServerApp.port_retries=0',
    `--ServerApp.root_dir=${root}`];
  const cmd = kind === 'ours'
    ? ['dotnet', [path.join(buildDir(), 'jupyter-rtc.dll'), ...common, `--IdentityProvider.token=${token}`, '--no-browser', ...args]]
    : ['/usr/bin/python3', ['-m', 'jupyter_server', ...common, `--ServerApp.token=${token}`,
        '--ServerApp.open_browser=False', '--allow-root', ...args]];
  const childEnv = { ...process.env, JUPYTER_NO_CONFIG: '1', JUPYTER_RUNTIME_DIR: path.join(scratch, 'runtime'),
    JUPYTER_CONFIG_DIR: path.join(scratch, 'config'), JUPYTER_DATA_DIR: path.join(scratch, 'data'),
    PYDEVD_DISABLE_FILE_VALIDATION: '1', ...env };
  delete childEnv.JUPYTER_TOKEN;
  const logFile = path.join(scratch, 'server.log');
  const out = fs.openSync(logFile, 'w');
  const started = performance.now();
  const child = spawn(cmd[0], cmd[1], { env: childEnv, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  let exited = false;
  child.on('exit', () => { exited = true; });
  const baseUrl = `http://127.0.0.1:${port}/`;
  const log = () => { try { return fs.readFileSync(logFile, 'utf8').slice(-4000); } catch { return ''; } };
  const stop = async () => {
    if (!exited) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const deadline = Date.now() + 10000;
      while (!exited && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
      if (!exited) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) { const l = log(); await stop(); throw new Error(`${kind} server exited early:\n${l}`); }
    try {
      const r = await fetch(`${baseUrl}api/status`, { headers: { Authorization: `token ${token}` } });
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { const l = log(); await stop(); throw new Error(`${kind} server not ready:\n${l}`); }
    await new Promise(r => setTimeout(r, 20));
  }
  return { kind, baseUrl, wsUrl: `ws://127.0.0.1:${port}/`, token, root, port, scratch,
    readyMs: performance.now() - started, stop, log, pid: child.pid };
}

/** ServerConnection settings for @jupyterlab/services, as JupyterLab's own code would build them. */
export async function serverSettings(server) {
  const { ServerConnection } = await import('@jupyterlab/services');
  const { default: WebSocket } = await import('ws');
  return ServerConnection.makeSettings({ baseUrl: server.baseUrl, wsUrl: server.wsUrl, token: server.token,
    appendToken: true, WebSocket, fetch, Request, Headers });
}

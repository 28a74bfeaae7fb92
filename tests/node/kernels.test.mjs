// JupyterLab's own client code (@jupyterlab/services KernelSpecManager, KernelManager, SessionManager and
// KernelConnection over the v1 websocket protocol) drives kernels through our server against Debian's ipykernel:
// execute with outputs, comm with binary buffers, input(), interrupt, restart, sessions, shutdown.
// KERNELS_TEST_SERVER=jupyter runs the same file against Debian's Jupyter Server 1.23, to check the test itself.
// The process lingers about 50 s after the last test with either server: a client-side timer of @jupyterlab/services.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, serverSettings } from './lib/servers.mjs';

const kind = process.env.KERNELS_TEST_SERVER === 'jupyter' ? 'jupyter' : 'ours';
let server, settings, services, kernels, sessions, specs;

before(async () => {
  server = await startServer({ kind });
  settings = await serverSettings(server);
  services = await import('@jupyterlab/services');
  specs = new services.KernelSpecManager({ serverSettings: settings });
  kernels = new services.KernelManager({ serverSettings: settings });
  sessions = new services.SessionManager({ serverSettings: settings, kernelManager: kernels });
  await Promise.all([specs.ready, kernels.ready, sessions.ready]);
});

after(async () => {
  try { await kernels?.shutdownAll(); } catch { /* server may be gone */ }
  sessions?.dispose(); kernels?.dispose(); specs?.dispose();
  await server?.stop();
});

/** Runs code; returns {reply, outputs} with outputs the iopub messages of the request. */
async function run(kernel, code, hooks = {}) {
  const future = kernel.requestExecute({ code, allow_stdin: !!hooks.onStdin, stop_on_error: true });
  const outputs = [];
  future.onIOPub = msg => { if (msg.header.msg_type !== 'status') outputs.push(msg); };
  if (hooks.onStdin) future.onStdin = msg => hooks.onStdin(msg, future);
  if (hooks.started) hooks.started(future, outputs);
  const reply = await future.done;
  future.dispose();
  return { reply, outputs };
}

const streamText = outputs => outputs.filter(m => m.header.msg_type === 'stream').map(m => m.content.text).join('');

test('kernelspecs list the Debian python3 spec', async () => {
  await specs.refreshSpecs();
  assert.equal(specs.specs.default, 'python3');
  const py = specs.specs.kernelspecs.python3;
  assert.equal(py.language, 'python');
  assert.ok(py.resources['logo-64x64'].endsWith('/kernelspecs/python3/logo-64x64.png'));
});

test('KernelManager starts a kernel; execute gives stream, display_data, execute_result and error', async () => {
  const kernel = await kernels.startNew({ name: 'python3' });
  try {
    const info = await kernel.info;
    assert.equal(info.language_info.name, 'python');
    let r = await run(kernel, "print('hello')\nfrom IPython.display import display, HTML\ndisplay(HTML('<i>x</i>'))\n6*7");
    assert.equal(r.reply.content.status, 'ok');
    assert.equal(streamText(r.outputs), 'hello\n');
    assert.equal(r.outputs.find(m => m.header.msg_type === 'display_data').content.data['text/html'], '<i>x</i>');
    assert.equal(r.outputs.find(m => m.header.msg_type === 'execute_result').content.data['text/plain'], '42');
    r = await run(kernel, "raise KeyError('k')");
    assert.equal(r.reply.content.status, 'error');
    assert.equal(r.outputs.find(m => m.header.msg_type === 'error').content.ename, 'KeyError');
    const models = await services.KernelAPI.listRunning(settings);
    const model = models.find(m => m.id === kernel.id);
    assert.equal(model.name, 'python3');
    assert.ok(model.connections >= 1);
  } finally {
    await kernel.shutdown();
  }
});

test('comm messages with binary buffers round trip', async () => {
  const kernel = await kernels.startNew({ name: 'python3' });
  try {
    await run(kernel, [
      'def _t(comm, msg):',
      '    @comm.on_msg',
      '    def _r(m):',
      "        comm.send(data={'n': len(m['buffers'])}, buffers=[bytes(b)[::-1] for b in m['buffers']])",
      "get_ipython().kernel.comm_manager.register_target('echo', _t)",
    ].join('\n'));
    const comm = kernel.createComm('echo');
    const got = new Promise(resolve => { comm.onMsg = msg => resolve(msg); });
    await comm.open({}).done;
    const payload = new Uint8Array(100000).map((_, i) => i % 251);
    comm.send({ hello: 1 }, {}, [payload.buffer, new Uint8Array([1, 2, 3])]);
    const msg = await got;
    assert.equal(msg.content.data.n, 2);
    assert.equal(msg.buffers.length, 2);
    const first = new Uint8Array(msg.buffers[0].buffer ?? msg.buffers[0]);
    assert.deepEqual(Array.from(first.slice(0, 5)), Array.from(payload.slice().reverse().slice(0, 5)));
    assert.equal(first.length, payload.length);
    assert.deepEqual(Array.from(new Uint8Array(msg.buffers[1].buffer ?? msg.buffers[1])), [3, 2, 1]);
  } finally {
    await kernel.shutdown();
  }
});

test('input() is answered through stdin', async () => {
  const kernel = await kernels.startNew({ name: 'python3' });
  try {
    const r = await run(kernel, "name = input('who? ')\nprint('hi', name)", {
      onStdin: (msg, future) => {
        assert.equal(msg.content.prompt, 'who? ');
        future.sendInputReply({ status: 'ok', value: 'Ada' }, msg.header);
      },
    });
    assert.equal(r.reply.content.status, 'ok');
    assert.equal(streamText(r.outputs), 'hi Ada\n');
  } finally {
    await kernel.shutdown();
  }
});

test('interrupt stops time.sleep(100); restart forgets state', async () => {
  const kernel = await kernels.startNew({ name: 'python3' });
  try {
    let sleeping;
    const started = new Promise(resolve => { sleeping = resolve; });
    const done = run(kernel, "import time\nprint('sleeping', flush=True)\ntime.sleep(100)", {
      started: (future) => { future.onIOPub = msg => { if (msg.header.msg_type === 'stream') sleeping(); }; },
    });
    await started;
    let reply;
    for (let attempt = 0; attempt < 10 && !reply; attempt++) {
      await kernel.interrupt();
      reply = await Promise.race([done, new Promise(r => setTimeout(r, 5000))]);
    }
    assert.ok(reply, 'interrupt did not stop the sleep');
    assert.equal(reply.reply.content.ename, 'KeyboardInterrupt');

    await run(kernel, 'x = 1');
    await kernel.restart();
    await kernel.info;
    // Requests right after an error or restart may be aborted by the kernel (stop_on_error): retry a few times.
    let r;
    for (let i = 0; i < 20; i++) {
      r = await run(kernel, 'x');
      if (r.reply.content.status !== 'aborted') break;
      await new Promise(res => setTimeout(res, 250));
    }
    assert.equal(r.reply.content.ename, 'NameError');
  } finally {
    await kernel.shutdown();
  }
});

test('SessionManager: start, reuse by path, rename, change kernel, shutdown', async () => {
  const session = await sessions.startNew({ path: 'nb.ipynb', name: 'nb.ipynb', type: 'notebook', kernel: { name: 'python3' } });
  try {
    assert.equal(session.path, 'nb.ipynb');
    const r = await run(session.kernel, "import os; print(os.environ.get('JPY_SESSION_NAME', '').endswith('nb.ipynb'))");
    assert.equal(streamText(r.outputs), 'True\n');
    const again = await services.SessionAPI.startSession({ path: 'nb.ipynb', type: 'notebook', name: 'nb.ipynb', kernel: { name: 'python3' } }, settings);
    assert.equal(again.id, session.id);
    await session.setPath('renamed.ipynb');
    const model = await services.SessionAPI.getSessionModel(session.id, settings);
    assert.equal(model.path, 'renamed.ipynb');
    const oldKernel = session.kernel.id;
    await session.changeKernel({ name: 'python3' });
    assert.notEqual(session.kernel.id, oldKernel);
    const r2 = await run(session.kernel, '1+1');
    assert.equal(r2.reply.content.status, 'ok');
  } finally {
    await session.shutdown();
  }
  const running = await services.SessionAPI.listRunning(settings);
  assert.equal(running.find(s => s.id === session.id), undefined);
});

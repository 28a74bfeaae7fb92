// Collaboration clients for Node tests, made of the code JupyterLab runs: @jupyter/docprovider's WebSocketProvider
// (over y-websocket) holding @jupyter/ydoc's YNotebook / YFile. Only the provider's dialogs are stubbed
// (lib/stubs/apputils.mjs): they need a DOM.
import './register-loader.mjs';
import { serverSettings } from './servers.mjs';

// The provider schedules its load timeout with window.setTimeout.
globalThis.window ??= globalThis;
// y-websocket refers to the WebSocket global for its ready-state constants.
if (!globalThis.WebSocket) globalThis.WebSocket = (await import('ws')).default;

let modules;
async function load() {
  if (!modules) {
    const [{ WebSocketProvider }, ydoc, Y] = await Promise.all([
      import('@jupyter/docprovider/lib/yprovider.js'), import('@jupyter/ydoc'), import('yjs')]);
    modules = { WebSocketProvider, ydoc, Y };
  }
  return modules;
}

const translator = { __: (s, ...args) => s.replace(/%(\d)/g, (_, i) => String(args[Number(i) - 1])) };

function fakeUser(name) {
  const identity = { username: name, name, display_name: name, initials: name.slice(0, 2).toUpperCase(), color: 'var(--jp-collaborator-color1)', avatar_url: null };
  return { identity, ready: Promise.resolve(), userChanged: { connect() {}, disconnect() {} } };
}

/** Opens a document as JupyterLab does. kind: 'notebook' | 'file'. Returns {model, provider, ready, close()}. */
export async function openDocument(server, path, { kind = 'notebook', user = 'alice', settings, autosave = true } = {}) {
  const { WebSocketProvider, ydoc } = await load();
  const model = kind === 'notebook' ? new ydoc.YNotebook() : new ydoc.YFile();
  const provider = new WebSocketProvider({
    path, format: kind === 'notebook' ? 'json' : 'text', contentType: kind, model,
    user: fakeUser(user), translator, serverSettings: settings ?? await serverSettings(server),
  });
  // JupyterLab's default; null leaves the field out (an observer that has no say in whether the room autosaves).
  if (autosave !== null) model.awareness.setLocalStateField('autosave', autosave);
  return {
    model, provider, ready: provider.ready,
    get ws() { return provider.wsProvider; },
    close() { provider.dispose(); model.dispose(); },
  };
}

export async function yjs() { return (await load()).Y; }

/**
 * Waits until predicate() is truthy (polling), or fails with the message. The message may be a function: it is called
 * at the timeout, so the failure can say what was seen instead (CI shows only the failure, not the state).
 */
export async function until(predicate, message = 'condition', timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value;
    try { value = await predicate(); } catch { value = false; }
    if (value) return value;
    if (Date.now() > deadline) {
      let text = message;
      if (typeof message === 'function') { try { text = message(); } catch (e) { text = `(describing the state failed: ${e})`; } }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}`);
    }
    await new Promise(r => setTimeout(r, 25));
  }
}

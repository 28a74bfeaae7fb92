// The only thing @jupyter/docprovider's provider takes from @jupyterlab/apputils is its dialogs, which need a DOM.
// Node tests get this stand-in: every dialog is recorded in globalThis.__dialogs and answered with
// globalThis.__dialogAnswer (default: dismissed). Everything else in the provider is the real code.
// The provider's "Loading" dialog (no sync within 5 s) is answered "Continue waiting", as a user would: dismissing it
// disconnects the document, so a loaded machine would fail a test that only had to wait.
globalThis.__dialogs = globalThis.__dialogs ?? [];
export async function showDialog(options) {
  globalThis.__dialogs.push({ title: String(options.title), body: String(options.body) });
  if (String(options.title) === 'Loading') return { button: { accept: true, actions: ['continue'] } };
  return globalThis.__dialogAnswer ?? { button: { accept: false, actions: [] } };
}
export const Dialog = {
  okButton: (o = {}) => ({ accept: true, label: o.label ?? 'Ok', actions: [] }),
  cancelButton: (o = {}) => ({ accept: false, label: o.label ?? 'Cancel', actions: [] }),
  warnButton: (o = {}) => ({ accept: true, label: o.label ?? 'Warn', actions: [] }),
  createButton: (o = {}) => ({ accept: true, label: o.label ?? '', actions: o.actions ?? [] }),
};

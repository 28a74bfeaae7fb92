// Node resolve hook: the @jupyter/* packages are built for bundlers and import relative modules without ".js".
// Registered by lib/register-loader.mjs (node --import ./lib/register-loader.mjs ...).
const stubs = { '@jupyterlab/apputils': new URL('./stubs/apputils.mjs', import.meta.url).href };

export async function resolve(specifier, context, nextResolve) {
  if (stubs[specifier]) return { url: stubs[specifier], shortCircuit: true };
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    if (!specifier.endsWith('.js') && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'ERR_UNSUPPORTED_DIR_IMPORT')) {
      for (const suffix of ['.js', '/index.js']) {
        try { return await nextResolve(specifier + suffix, context); } catch { /* next */ }
      }
    }
    throw e;
  }
}

// Stylesheets and icons imported by JupyterLab UI packages mean nothing in Node: empty modules.
export async function load(url, context, nextLoad) {
  if (/\.(svg|css|png|woff2?)$/.test(url)) return { format: 'module', source: 'export default "";', shortCircuit: true };
  if (url.endsWith('.json') && !context.importAttributes?.type) {
    const fs = await import('node:fs');
    const text = fs.readFileSync(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${text};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}

// Helpers for driving JupyterLab in Debian's Chromium with playwright-core (no browser download: /usr/bin/chromium).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, repoRoot, tempDir } from '../../node/lib/servers.mjs';

export const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const appDir = path.join(e2eDir, '.cache', 'prefix', 'share', 'jupyter', 'lab');
/** The same JupyterLab without the collaboration extensions (LAB_NOCOLLAB=1 build-frontend.sh). */
export const appDirNoCollab = path.join(e2eDir, '.cache', 'prefix-nocollab', 'share', 'jupyter', 'lab');
export const artifacts = path.join(e2eDir, 'artifacts');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** Whether the frontend is built and a browser exists; tests skip with the reason otherwise. */
export function missingPrerequisite(dir = appDir) {
  if (!fs.existsSync(path.join(dir, 'static', 'bundle.js'))) return `JupyterLab is not built: run tests/e2e/build-frontend.sh`;
  if (!fs.existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install -y chromium)`;
  return null;
}

export async function startLab({ args = [], app = appDir } = {}) {
  return startServer({ args: [`--app-dir=${app}`, ...args] });
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Console errors the lab is allowed to print, each with why it is harmless here. Anything else fails the test.
 */
export const ALLOWED_CONSOLE_ERRORS = [
  // Chromium asks for /favicon.ico on every page; the lab page links none and the server has none (404).
  { pattern: /Failed to load resource: the server responded with a status of 404 \(Not Found\)/, why: 'favicon.ico' },
];

/** A new browser context (its own cookie jar: a different identity) with console errors collected. */
export async function newUser(browser, name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  context.on('page', p => watch(p, name, errors));
  return { context, errors, name };
}

function watch(page, name, errors) {
  // Leaving a page with a dirty document asks "leave site?" (beforeunload): leave, as a user would.
  page.on('dialog', d => d.accept().catch(() => {}));
  page.on('console', m => { if (m.type() === 'error') errors.push(`[${name}] ${m.text()}`); });
  page.on('pageerror', e => errors.push(`[${name}] pageerror: ${e.message}`));
}

export function unexpectedErrors(errors) {
  return errors.filter(e => !ALLOWED_CONSOLE_ERRORS.some(a => a.pattern.test(e)));
}

/** Opens the lab (first with the token in the address, as the URL printed at startup) and waits for it to be restored. */
export async function openLab(user, server, pathInLab = 'lab') {
  const page = await user.context.newPage();
  const sep = pathInLab.includes('?') ? '&' : '?';
  await page.goto(`${server.baseUrl}${pathInLab}${sep}token=${server.token}`);
  await waitRestored(page);
  return page;
}

export async function waitRestored(page) {
  await page.waitForSelector('body[data-lab-restored]', { state: 'attached', timeout: 60000 });
  await page.locator('#filebrowser .jp-DirListing-content').waitFor({ state: 'attached', timeout: 30000 });
}

/**
 * Waits until the server has a session with a kernel for `notebookPath` and the notebook shows that kernel idle. (The
 * execution indicator alone says "idle" before the session exists; a Run pressed then does nothing.)
 */
export async function waitKernelReady(page, server, notebookPath) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const r = await fetch(`${server.baseUrl}api/sessions`, { headers: { Authorization: `token ${server.token}` } });
    const sessions = r.status === 200 ? await r.json() : [];
    if (sessions.some(s => s.path === notebookPath && s.kernel?.id)) break;
    if (Date.now() > deadline) throw new Error(`no kernel session for ${notebookPath} after 60 s`);
    await new Promise(res => setTimeout(res, 100));
  }
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ state: 'attached', timeout: 60000 });
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName', { hasText: 'Python 3' }).first().waitFor({ timeout: 60000 });
}

export async function shot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

export { repoRoot, tempDir };

// The same JupyterLab 4.6.3 without @jupyter/collaboration-extension and @jupyter/docprovider-extension (a plain
// `pip install jupyterlab`): documents load through the Contents API instead of rooms. One user opens a notebook,
// runs a cell, saves (renaming it, as JupyterLab offers); the file on disk has the code and the output.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { missingPrerequisite, appDirNoCollab, startLab, launch, newUser, openLab, shot, unexpectedErrors, waitKernelReady } from './lib/lab.mjs';

const skip = missingPrerequisite(appDirNoCollab);
let server, browser;
after(async () => { await browser?.close(); await server?.stop(); });

test('without the collaboration extensions: open, run, save a notebook', { skip: skip ?? false }, async () => {
  server = await startLab({ app: appDirNoCollab });
  browser = await launch();
  const user = await newUser(browser, 'solo');
  const page = await openLab(user, server);
  try { await steps(page); } finally { await shot(page, 'nocollab-end').catch(() => {}); }
  assert.deepEqual(unexpectedErrors(user.errors), []);
});

async function steps(page) {
  await page.locator('.jp-LauncherCard[data-category="Notebook"]').first().click();
  await page.waitForSelector('.jp-NotebookPanel .jp-Cell .cm-content', { timeout: 60000 });
  await waitKernelReady(page, server, 'Untitled.ipynb');
  await page.locator('.jp-NotebookPanel .jp-Cell .cm-content').first().click();
  await page.keyboard.type('print("solo", 2 + 3)');
  await page.keyboard.press('Shift+Enter');
  await page.locator('.jp-OutputArea-output', { hasText: 'solo 5' }).first().waitFor({ timeout: 60000 });
  await page.locator('.jp-NotebookPanel [data-command="docmanager:save"]').first().click();
  // JupyterLab offers to rename an untitled notebook on its first save.
  const name = page.locator('.jp-Dialog input[type="text"]');
  await name.waitFor({ timeout: 10000 });
  await name.fill('solo.ipynb');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  let saved;
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${server.baseUrl}api/contents/solo.ipynb`, { headers: { Authorization: `token ${server.token}` } });
    saved = r.status === 200 ? await r.json() : null;
    if (saved?.content?.cells?.[0]?.outputs?.length) break;
    await new Promise(r => setTimeout(r, 100));
  }
  assert.ok(saved?.content?.cells?.length, `saved notebook: ${JSON.stringify(saved?.content)}`);
  assert.equal(saved.content.cells[0].source, 'print("solo", 2 + 3)');
  assert.equal(saved.content.cells[0].outputs[0].text, 'solo 5\n');
  await shot(page, 'nocollab-ran-and-saved');
}

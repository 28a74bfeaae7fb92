// Server-side execution as JupyterLab uses it: with page config serverSideExecution "true" the collaboration
// extension's NotebookCellServerExecutor POSTs {cell_id, document_id} to /api/kernels/<id>/execute and the server
// writes the execution state, count and outputs into the shared cell. Two users on one notebook; the one who ran a
// cell leaves mid-run, so does the other; the run finishes on the server and nothing is lost or doubled. A display
// updated through its handle from another cell shows the update in both browsers. Screenshots under artifacts/.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  missingPrerequisite, startLab, launch, newUser, openLab, shot, unexpectedErrors, artifacts, waitKernelReady,
} from './lib/lab.mjs';

const skip = missingPrerequisite();
const NOTEBOOK = 'execution.ipynb';
const LINES = 60;
const EXPECTED_TEXT = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(2, '0')}\n`).join('');

async function api(server, method, p, body) {
  const r = await fetch(`${server.baseUrl}${p}`, {
    method, headers: { Authorization: `token ${server.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

const cells = page => page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell');
const outputText = async (page, i) => {
  const o = cells(page).nth(i).locator('.jp-OutputArea-output');
  return (await o.count()) ? (await o.allInnerTexts()).join('\n') : '';
};
const prompt = (page, i) => cells(page).nth(i).locator('.jp-InputArea-prompt').innerText();
/** The "line NN" numbers in a cell's rendered output, in order. */
const lineNumbers = text => [...text.matchAll(/line (\d\d)/g)].map(m => Number(m[1]));

async function waitFor(fn, timeoutMs, what) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? await what() : what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

/** The Notebook panel with its cells drawn. */
async function openNotebook(user, server) {
  const page = await openLab(user, server, `lab/tree/${NOTEBOOK}`);
  await page.waitForSelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .cm-content', { timeout: 60000 });
  return page;
}

async function runCell(page, i) {
  await cells(page).nth(i).locator('.cm-content').click();
  await page.keyboard.press('Control+Enter');
}

/** Records, per browser context, the REST execute calls and any execute_request sent over a kernel WebSocket. */
function watchExecution(context) {
  const seen = { rest: [], websocket: 0 };
  context.on('request', r => {
    if (r.method() === 'POST' && /\/api\/kernels\/[^/]+\/execute(\?|$)/.test(r.url())) seen.rest.push(JSON.parse(r.postData() ?? 'null'));
  });
  context.on('websocket', ws => ws.on('framesent', f => {
    const text = typeof f.payload === 'string' ? f.payload : Buffer.from(f.payload).toString('latin1');
    if (text.includes('"execute_request"')) seen.websocket++;
  }));
  return seen;
}

describe('JupyterLab with server-side execution', { skip: skip ?? false, concurrency: false }, () => {
  let server, browser, alice, bob, alicePage, bobPage, aliceSeen;
  const users = [];   // every identity used, for the console check (bob gets a second context in b)
  const errors = () => users.flatMap(u => u.errors);

  before(async () => {
    server = await startLab();
    browser = await launch();
    alice = await newUser(browser, 'alice');
    bob = await newUser(browser, 'bob');
    users.push(alice, bob);
    aliceSeen = watchExecution(alice.context);
    const source = [
      'import time\nfor i in range(60):\n    print(f"line {i:02d}", flush=True)\n    time.sleep(0.15)',
      'h = display("a", display_id=True)',
      'h.update("b")',
    ];
    const nb = {
      cells: source.map((s, i) => ({ cell_type: 'code', source: s, metadata: {}, outputs: [], execution_count: null, id: `x${i}` })),
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } }, nbformat: 4, nbformat_minor: 5,
    };
    assert.equal((await api(server, 'PUT', `api/contents/${NOTEBOOK}`, { type: 'notebook', format: 'json', content: nb })).status, 201);
  });

  afterEach(async t => {
    const name = t.name.slice(0, 1);
    for (const [who, p] of [['alice', alicePage], ['bob', bobPage]])
      if (p && !p.isClosed()) await shot(p, `x${name}-end-${who}`).catch(() => {});
  });

  after(async () => {
    await browser?.close();
    if (server) {
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(path.join(artifacts, 'execution-server.log'), server.log());
      await server.stop();
    }
  });

  test('a: a run goes on after both users leave; reopened, every line is there once, and on disk', async () => {
    alicePage = await openNotebook(alice, server);
    bobPage = await openNotebook(bob, server);
    await waitKernelReady(alicePage, server, NOTEBOOK);
    const pc = await alicePage.evaluate(() => JSON.parse(document.getElementById('jupyter-config-data').textContent));
    assert.equal(pc.serverSideExecution, 'true', 'page config serverSideExecution');

    await runCell(alicePage, 0);
    // Bob sees the busy prompt and the lines arriving while the cell runs (not all at the end).
    await waitFor(async () => (await prompt(bobPage, 0)).includes('[*]'), 10000, 'bob to see [*]');
    const partial = await waitFor(async () => {
      const n = lineNumbers(await outputText(bobPage, 0));
      return n.length >= 5 ? n : null;
    }, 10000, 'bob to see the first lines');
    assert.ok(partial.length < LINES, `bob saw ${partial.length} lines at once: the output did not stream`);
    assert.deepEqual(partial, partial.map((_, i) => i), 'the lines bob sees so far are in order, each once');
    await shot(bobPage, 'xa1-bob-streaming');

    // The run went through the REST executor, not the kernel WebSocket.
    assert.equal(aliceSeen.rest.length, 1, `POST /execute calls: ${JSON.stringify(aliceSeen.rest)}`);
    assert.equal(aliceSeen.rest[0].cell_id, 'x0');
    assert.match(aliceSeen.rest[0].document_id, /^json:notebook:/);
    assert.equal(aliceSeen.websocket, 0, 'no execute_request over the kernel WebSocket');

    // Alice closes her tab mid-run, then bob closes his whole browser (context).
    await alicePage.close();
    alicePage = null;
    await bob.context.close();
    bobPage = null;
    const live = (await api(server, 'GET', `api/executions?path=${NOTEBOOK}&cell_id=x0`)).json.executions;
    assert.equal(live.length, 1, JSON.stringify(live));
    assert.ok(!live[0].ended, `the run should still be going when both have left: ${JSON.stringify(live[0])}`);

    // It ends on the server with nobody connected.
    const ended = await waitFor(async () => {
      const r = (await api(server, 'GET', `api/executions?path=${NOTEBOOK}&cell_id=x0`)).json.executions[0];
      return r?.ended ? r : null;
    }, 30000, 'the run to end on the server');
    assert.equal(ended.status, 'ok', JSON.stringify(ended));

    // The file on disk has every line once and the count (saved by the server, no browser open). The last lines and the
    // prompt number may reach the document in different changes, and so the disk in different autosaves: wait for both.
    const disk = await waitFor(async () => {
      const c = (await api(server, 'GET', `api/contents/${NOTEBOOK}`)).json?.content?.cells?.[0];
      const text = (c?.outputs ?? []).filter(o => o.output_type === 'stream').map(o => o.text).join('');
      return text.length >= EXPECTED_TEXT.length && c.execution_count != null ? { c, text } : null;
    }, 15000, 'the outputs and the prompt number in the file on disk');
    assert.equal(disk.text, EXPECTED_TEXT);
    assert.ok(disk.c.outputs.every(o => o.output_type === 'stream' && o.name === 'stdout'), JSON.stringify(disk.c.outputs));
    assert.equal(disk.c.execution_count, ended.execution_count);
    assert.ok(Number.isInteger(disk.c.execution_count) && disk.c.execution_count >= 1, `execution_count ${disk.c.execution_count}`);

    // Alice comes back (same identity, a new tab): every line once, prompt number set.
    alicePage = await openNotebook(alice, server);
    await waitFor(async () => lineNumbers(await outputText(alicePage, 0)).length >= LINES, 10000, 'alice to see the lines');
    const lines = lineNumbers(await outputText(alicePage, 0));
    assert.deepEqual(lines, Array.from({ length: LINES }, (_, i) => i), 'each line exactly once, in order');
    await waitFor(async () => (await prompt(alicePage, 0)).includes(`[${ended.execution_count}]`), 10000,
      async () => `prompt [${ended.execution_count}]: (it is ${JSON.stringify(await prompt(alicePage, 0).catch(() => '?'))})`);
    await shot(alicePage, 'xa2-alice-reopened');
  });

  test('b: a display updated through its handle from another cell shows the update in both browsers', async () => {
    bob = await newUser(browser, 'bob');   // his first context was closed in a
    users.push(bob);
    bobPage = await openNotebook(bob, server);
    await waitKernelReady(alicePage, server, NOTEBOOK);
    await runCell(alicePage, 1);
    for (const p of [alicePage, bobPage])
      await waitFor(async () => (await outputText(p, 1)).trim() === "'a'", 15000, 'the display "a"');
    await runCell(alicePage, 2);
    // The server applied the update to the shared document (the file on disk has it) ...
    const disk = await waitFor(async () => {
      const c = (await api(server, 'GET', `api/contents/${NOTEBOOK}`)).json?.content?.cells;
      return c?.[1]?.outputs?.[0]?.data?.['text/plain'] === "'b'" ? c : null;
    }, 15000, 'the updated display in the file on disk');
    assert.equal(disk[1].outputs.length, 1);
    assert.deepEqual(disk[2].outputs, []);
    // ... and both open browsers render it (JupyterLab redraws an output only when the outputs array changes).
    for (const [who, p] of [['alice', alicePage], ['bob', bobPage]]) {
      await waitFor(async () => (await outputText(p, 1)).trim() === "'b'", 10000, async () =>
        `${who}'s open page to show the display updated to "b" (cell 1 shows ${JSON.stringify(await outputText(p, 1))}; the file on disk has "b")`);
      await waitFor(async () => !(await prompt(p, 2)).includes('[*]') && (await prompt(p, 2)).match(/\[\d+\]/), 15000, `${who}: cell 2 done`);
      assert.equal(await outputText(p, 2), '', `${who}: the updating cell has no output of its own`);
    }
    await shot(alicePage, 'xb1-alice-updated');
    await shot(bobPage, 'xb2-bob-updated');
    // Both runs in b went through POST /execute too.
    assert.deepEqual(aliceSeen.rest.map(b => b.cell_id), ['x0', 'x1', 'x2']);
    assert.equal(aliceSeen.websocket, 0);
  });

  test('b2: Run All runs the cells in notebook order, each once (the requests race over several connections)', async () => {
    const RUN_ALL = 'runall.ipynb', N = 12;
    const nb = {
      cells: Array.from({ length: N }, (_, i) => ({ cell_type: 'code', source: `print(${i})`, metadata: {}, outputs: [], execution_count: null, id: `r${i}` })),
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } }, nbformat: 4, nbformat_minor: 5,
    };
    assert.equal((await api(server, 'PUT', `api/contents/${RUN_ALL}`, { type: 'notebook', format: 'json', content: nb })).status, 201);
    const page = await openLab(alice, server, `lab/tree/${RUN_ALL}`);
    try {
      await page.waitForSelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .cm-content', { timeout: 60000 });
      await waitKernelReady(page, server, RUN_ALL);
      for (let round = 0; round < 3; round++) {
        await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
        await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
        const records = await waitFor(async () => {
          const r = (await api(server, 'GET', `api/executions?path=${RUN_ALL}&limit=1000`)).json.executions.filter(e => e.ended);
          return r.length >= N * (round + 1) ? r : null;
        }, 30000, 'every cell to run');
        const thisRound = records.slice(0, N).reverse();   // newest first in the listing
        const order = thisRound.sort((a, b) => a.execution_count - b.execution_count).map(e => e.cell_id);
        assert.deepEqual(order, nb.cells.map(c => c.id), `round ${round}: cells ran in notebook order`);
      }
      // The records end before the last outputs are rendered in the page: wait for each.
      for (let i = 0; i < N; i++) await waitFor(async () => (await outputText(page, i)).trim() === String(i), 10000, `cell ${i}'s output`);
      await shot(page, 'xb2-run-all');
    } finally { await page.close(); }
  });

  test('c: the browser console shows no errors beyond the listed ones', () => {
    const all = errors();
    fs.mkdirSync(artifacts, { recursive: true });
    fs.writeFileSync(path.join(artifacts, 'execution-console-errors.txt'), all.join('\n') + '\n');
    assert.deepEqual(unexpectedErrors(all), []);
  });
});

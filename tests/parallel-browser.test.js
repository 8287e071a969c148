// logsoftmax/parallel in Chromium: module Web Workers started by the pool
// from a page, checked against the synchronous API there
// (tests/parallel/index.html).  Served cross-origin isolated (COOP/COEP),
// the pool shares memory with its workers; served without those headers,
// it has no SharedArrayBuffer and transfers each part instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../web/serve.js';
import { launchBrowser, browserSkipReason } from './helpers/browser.js';

const skip = browserSkipReason() ?? false;

for (const isolated of [true, false]) {
  test(`Chromium, ${isolated ? '' : 'not '}cross-origin isolated: a pool in mode '${isolated ? 'shared' : 'transfer'}'`, { skip }, async () => {
    const server = await startServer({ port: 0, isolated });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}tests/parallel/index.html`);
      const r = await page.evaluate(() => window.result);
      assert.equal(r.failed, undefined, r.failed);
      assert.deepEqual(errors, []);
      assert.equal(r.isolated, isolated, 'the page is isolated exactly when served with COOP/COEP');
      assert.equal(r.mode, isolated ? 'shared' : 'transfer');
      assert.equal(r.build, r.syncBuild);
      assert.equal(r.calls, 2 * 5 * 3 + 4 + 1, 'every check ran');
      assert.deepEqual(r.wrong, [], 'results differ from the synchronous API');
      assert.deepEqual(r.errors, ['same', 'same', 'same']);
      assert.match(r.died, /logsoftmax pool: a worker died during the call/);
      assert.equal(r.restarts, 1);
      assert.match(r.terminated, /logsoftmax pool: terminated while the call was running/);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

// A phone that comes back online with more reports than its account may write at once: the
// server answers 429 with Retry-After, and the outbox waits that long and sends again, in
// smaller batches, until everything is stored once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, startServer } from './harness.mjs';

const TAISHAN = { lat: 36.1905, lon: 117.1185 };

let server;
let browser;

before(async () => {
  // Two writes at once, ten a second after that.
  server = await startServer(
    'ratelimit',
    [['patrol.zhao', 'patrol', '--agency', 'police'], ['super.city', 'supervisor']],
    { XUNJIU_WRITES_PER_MINUTE: '600', XUNJIU_WRITE_BURST: '2' },
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an outbox answered 429 waits as told and resends until all is stored once', async () => {
  const context = await newContext(browser, { at: TAISHAN });
  const page = await context.newPage();
  const answers = [];
  page.on('response', (r) => {
    if (r.url().endsWith('/api/v1/sightings/batch')) answers.push(r.status());
  });
  await logIn(page, server.base, '/patrol/', 'patrol.zhao');
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);

  await context.setOffline(true);
  for (const people of [1, 2, 3, 4, 5]) {
    await page.fill('#people', String(people));
    await page.click('#send');
    await page.waitForSelector('#result[data-state=saved]');
    await page.click('#again');
  }
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '5');
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForFunction(() => document.querySelector('#outbox').dataset.unsent === '0', null, { timeout: 30_000 });

  assert.ok(answers.includes(429), `the server pushed back: ${answers}`);
  assert.ok(answers.includes(200));
  const token = await server.login('super.city');
  const { sightings } = await server.api('GET', '/api/v1/sightings', token);
  assert.deepEqual(sightings.map((s) => s.people_count).sort(), [1, 2, 3, 4, 5]);
  await context.close();
});

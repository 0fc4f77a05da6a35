// A patrol officer in 新泰市 reports an elderly person and gets the 新泰 station's phone; the
// 新泰 duty officer sees the referral arrive in the console without reloading, accepts it, and
// the timeline shows the acceptance.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, screenshotPath, startServer } from './harness.mjs';

// 新泰市 city centre, about 600 m from the 新泰 station's recorded point.
const XINTAI = { lat: 35.9085, lon: 117.7665 };

let server;
let browser;

before(async () => {
  server = await startServer('report', [
    ['patrol.zhang', 'patrol', '--agency', 'police', '--unit', '新泰市公安局'],
    ['duty.xintai', 'duty', '--station', 'xintai'],
    ['duty.feicheng', 'duty', '--station', 'feicheng'],
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a report in 新泰 shows the 新泰 station and reaches its console live', async () => {
  const { stations } = await server.api('GET', '/api/v1/stations');
  const xintai = stations.find((s) => s.code === 'xintai');
  assert.match(xintai.phone, /^0538-/);

  // The duty officer is at the desk first, with an empty queue and a live stream.
  const desk = await (await newContext(browser)).newPage();
  await logIn(desk, server.base, '/console/', 'duty.xintai');
  await desk.waitForSelector('#live-state:not(.off)', { state: 'attached' });
  await desk.waitForFunction(() => document.querySelector('#live-state').textContent.includes('●'));
  assert.equal(await desk.locator('#queue .entry').count(), 0);
  await desk.evaluate(() => (window.stillTheSamePage = true));

  // The patrol officer reports.
  const phone = await (await newContext(browser, { at: XINTAI })).newPage();
  await logIn(phone, server.base, '/patrol/', 'patrol.zhang');
  await phone.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);
  await phone.click('#categories [data-category=elderly]');
  await phone.fill('#people', '1');
  await phone.selectOption('#action', 'referred');
  await phone.fill('#notes', '老人独自坐在桥下，神志清楚');
  await phone.screenshot({ path: screenshotPath('patrol-report.png'), fullPage: true });
  await phone.click('#send');
  await phone.waitForSelector('#result[data-state=sent]');
  assert.equal(await phone.getAttribute('#station-phone', 'data-phone'), xintai.phone);
  assert.equal(await phone.getAttribute('#station-phone', 'href'), `tel:${xintai.phone.replace(/-/g, '')}`);
  assert.equal((await phone.textContent('#station-name')).trim(), xintai.name);
  assert.equal(await phone.textContent('#station-address'), xintai.address);
  assert.equal(await phone.getAttribute('#outbox', 'data-unsent'), '0');
  await phone.screenshot({ path: screenshotPath('patrol-station.png'), fullPage: true });

  // Within 5 seconds the referral is in the 新泰 queue, on the same page (no reload).
  const entry = desk.locator('#queue .entry.urgent');
  await entry.waitFor({ timeout: 5000 });
  assert.equal(await desk.evaluate(() => window.stillTheSamePage), true);
  assert.equal(await entry.getAttribute('data-status'), 'routed');
  assert.match(await entry.locator('.clock').textContent(), /签收/);

  // Open it: personal details are shown to the owning station, then accept.
  await entry.click();
  await desk.waitForSelector('#detail dl.facts');
  assert.match(await desk.textContent('#detail [data-field=description]'), /老人独自坐在桥下/);
  assert.deepEqual(
    await desk.locator('#detail .actions [data-action]').evaluateAll((els) => els.map((e) => e.dataset.action)),
    ['accept', 'transfer'],
  );
  await desk.click('#detail button[data-action=accept]');
  await desk.waitForSelector('#detail .timeline li[data-kind=accepted]');
  assert.equal(await desk.getAttribute('#detail dl.facts', 'data-status'), 'accepted');
  assert.match(await desk.textContent('#detail .timeline li[data-kind=accepted]'), /duty\.xintai/);
  // The queue follows: the entry now counts down to reaching the scene.
  await desk.waitForSelector('#queue .entry[data-status=accepted]');

  // Another station's duty officer gets no look at it.
  const other = await server.login('duty.feicheng');
  const queue = await server.api('GET', '/api/v1/stations/feicheng/queue', other);
  assert.equal(queue.entries.length, 0);
});

// Offline: the phone loses its network, two reports are made, the page is reloaded (still
// offline), the network returns, and both reports reach the server exactly once.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, startServer } from './harness.mjs';

// Near 泰安火车站 in 泰山区.
const TAISHAN = { lat: 36.1905, lon: 117.1185 };

let server;
let browser;

before(async () => {
  server = await startServer('offline', [
    ['patrol.li', 'patrol', '--agency', 'urban_management'],
    ['super.city', 'supervisor'],
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function report(page, people) {
  await page.fill('#people', String(people));
  await page.click('#send');
  await page.waitForSelector('#result[data-state=saved]');
  // Even offline the officer has a station to name: the nearest by the phone's own reckoning.
  assert.match(await page.getAttribute('#station-phone', 'data-phone'), /^0538-/);
  await page.click('#again');
}

test('reports made offline survive a reload and arrive exactly once', async () => {
  const context = await newContext(browser, { at: TAISHAN });
  const page = await context.newPage();
  await logIn(page, server.base, '/patrol/', 'patrol.li');
  await page.waitForSelector('body[data-ready=true]');
  // The app is installed on the phone (service worker active, controlling the page).
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller);
  await page.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);

  await context.setOffline(true);
  await report(page, 2);
  await report(page, 3);
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '2');
  const ids = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('xunjiu-patrol');
    open.onsuccess = () => {
      const all = open.result.transaction('sightings').objectStore('sightings').getAllKeys();
      all.onsuccess = () => resolve(all.result);
      all.onerror = () => reject(all.error);
    };
  }));
  assert.equal(ids.length, 2);

  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(() => document.querySelector('#outbox').dataset.unsent === '2');
  assert.equal(await page.textContent('#net'), '离线');

  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelector('#outbox').dataset.unsent === '0', null, { timeout: 10_000 });

  const supervisor = await server.login('super.city');
  const { sightings } = await server.api('GET', '/api/v1/sightings', supervisor);
  assert.deepEqual(sightings.map((s) => s.id).sort(), [...ids].sort());
  assert.deepEqual(sightings.map((s) => s.people_count).sort(), [2, 3]);
  assert.ok(sightings.every((s) => s.reported_by === 'patrol.li' && s.station.code === 'taian'));

  // A later flush (another 'online', a reopened page) sends nothing twice.
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '0');
  const again = await server.api('GET', '/api/v1/sightings', supervisor);
  assert.equal(again.sightings.length, 2);
});

// Shared phones and desks: what one officer left unsent on a patrol phone is never sent under the
// next officer's login, and logging out of a console stops its browser's pushes. And a county
// supervisor's console offers only the queues of the county's stations.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, startServer } from './harness.mjs';

// Near 泰安火车站 in 泰山区.
const TAISHAN = { lat: 36.1905, lon: 117.1185 };

let server;
let browser;

before(async () => {
  server = await startServer('shared', [
    ['patrol.a', 'patrol', '--agency', 'police'],
    ['patrol.b', 'patrol', '--agency', 'urban_management'],
    ['duty.taian', 'duty', '--station', 'taian'],
    ['super.city', 'supervisor'],
    ['super.ningyang', 'supervisor', '--county', '370921'],
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
  await page.waitForSelector('#result[data-state=saved], #result[data-state=sent]');
  await page.click('#again');
}

async function allSightings() {
  const supervisor = await server.login('super.city');
  return (await server.api('GET', '/api/v1/sightings', supervisor)).sightings;
}

test("one phone, two officers: each officer's reports go under their own name only", async () => {
  const context = await newContext(browser, { at: TAISHAN });
  const page = await context.newPage();
  await logIn(page, server.base, '/patrol/', 'patrol.a');
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller);
  await page.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);

  // Officer A reports without a network, then tries to log out: the app warns first.
  await context.setOffline(true);
  await report(page, 4);
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '1');
  // Clicked from the page, not through page.click: a click that waits for navigations can
  // wait on the confirm it opened (seen under load).
  const warned = page.waitForEvent('dialog');
  await page.evaluate(() => document.querySelector('#logout').click());
  const warning = await warned;
  assert.equal(warning.type(), 'confirm');
  assert.match(warning.message(), /1/);
  await warning.dismiss();
  await page.waitForTimeout(200);
  assert.ok(await page.isVisible('#logout'), 'a cancelled logout stays logged in');
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '1');
  page.once('dialog', (dialog) => dialog.accept());
  await Promise.all([page.waitForEvent('load'), page.click('#logout')]);
  await page.waitForSelector('#login:not(.hidden)');

  // Officer B logs in on the same phone, online: A's report is not B's to send.
  await context.setOffline(false);
  await logIn(page, server.base, '/patrol/', 'patrol.b');
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);
  assert.equal(await page.getAttribute('#outbox', 'data-unsent'), '0');
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await report(page, 2);
  await page.waitForFunction(() => document.querySelector('#outbox').dataset.unsent === '0');
  let sightings = await allSightings();
  assert.deepEqual(sightings.map((s) => [s.reported_by, s.people_count]), [['patrol.b', 2]]);
  const stored = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('xunjiu-patrol');
    open.onsuccess = () => {
      const all = open.result.transaction('sightings').objectStore('sightings').getAll();
      all.onsuccess = () => resolve(all.result.map((s) => s.people_count));
      all.onerror = () => reject(all.error);
    };
  }));
  assert.deepEqual(stored, [4], "A's report waits on the phone, untouched");

  // B logs out (nothing unsent, no warning) and A logs in again: A's report goes, as A's.
  page.once('dialog', () => assert.fail('no warning without unsent reports'));
  await Promise.all([page.waitForEvent('load'), page.click('#logout')]);
  await logIn(page, server.base, '/patrol/', 'patrol.a');
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForFunction(() => document.querySelector('#outbox').dataset.unsent === '0', null, { timeout: 10_000 });
  sightings = await allSightings();
  assert.deepEqual(
    sightings.map((s) => [s.reported_by, s.people_count]).sort(),
    [['patrol.a', 4], ['patrol.b', 2]],
  );
  await context.close();
});

test("logging out of the console removes the browser's push subscription, server and browser", async () => {
  const endpoint = 'https://fcm.googleapis.com/fcm/send/desk-1';
  // Headless Chromium cannot reach a browser vendor's push service from here, so the browser's
  // PushManager is stood in for; the server side is the real one.
  const token = await server.login('duty.taian');
  await server.api('POST', '/api/v1/push/subscriptions', token, {
    endpoint,
    keys: {
      p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM',
      auth: 'tBHItJI5svbpez7KI4CCXg',
    },
  });
  const context = await newContext(browser);
  await context.addInitScript((endpoint) => {
    // Counted in sessionStorage, which outlives the reload that follows a logout.
    const subscription = {
      endpoint,
      unsubscribe: async () => {
        sessionStorage.setItem('unsubscribed', String(Number(sessionStorage.getItem('unsubscribed') ?? 0) + 1));
        return true;
      },
    };
    const registration = { pushManager: { getSubscription: async () => subscription } };
    Object.defineProperty(navigator.serviceWorker, 'getRegistration', { value: async () => registration });
  }, endpoint);
  const page = await context.newPage();
  await logIn(page, server.base, '/console/', 'duty.taian');
  await page.waitForSelector('#logout:not(.hidden)');

  await Promise.all([page.waitForEvent('load'), page.click('#logout')]);
  await page.waitForSelector('#login:not(.hidden)');

  assert.equal(await page.evaluate(() => sessionStorage.getItem('unsubscribed')), '1');
  const again = await fetch(`${server.base}/api/v1/push/subscriptions`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${await server.login('duty.taian')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ endpoint }),
  });
  assert.equal(again.status, 404, 'the server forgot the subscription');
  await context.close();
});

test("a county supervisor's console offers the county's station alone", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await logIn(page, server.base, '/console/', 'super.ningyang');
  await page.waitForSelector('#station-picker:not(.hidden)');
  const options = await page.locator('#station-picker option').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(options, ['ningyang']);
  await page.waitForSelector('#live-state:not(.off)', { state: 'attached' });
  await context.close();
});

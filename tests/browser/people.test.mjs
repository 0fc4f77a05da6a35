// A person behind the reports: the 新泰 duty officer links a referral to a new person, puts
// them on the at-risk register for 青云街道, and sees the first revisit due 60 days on; the
// township's liaison sees it in their own menu.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, START, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('people', [
    ['duty.xintai', 'duty', '--station', 'xintai'],
    ['hotline.12345', 'hotline', '--channel', '12345'],
    ['liaison.qingyun', 'liaison', '--county', '370982', '--township', '370982001', '--village', '东关村'],
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('link a referral to a new person, register them, and see the revisit due', async () => {
  const hotline = await server.login('hotline.12345');
  const referral = await server.api('POST', '/api/v1/referrals', hotline, {
    id: crypto.randomUUID(),
    channel: '12345',
    reported_at: new Date(START.getTime() - 5 * 60_000).toISOString(),
    location: { lat: 35.9085, lon: 117.7665 },
    people_count: 1,
    categories: ['elderly'],
  });

  const page = await (await newContext(browser)).newPage();
  await logIn(page, server.base, '/console/', 'duty.xintai');
  await page.waitForSelector('#map[data-ready=true]');
  await page.evaluate((id) => (location.hash = `#/referrals/${id}`), referral.id);
  await page.waitForSelector('#person-new');
  await page.fill('#person-new [name=name]', '王某');
  await page.selectOption('#person-new [name=sex]', 'male');
  await page.click('#person-new button[type=submit]');

  // The person page opens, with the referral among their reports.
  await page.waitForSelector('#person h3[data-id]');
  assert.match(await page.textContent('#person [data-field=name]'), /王某/);
  await page.waitForSelector(`#person .timeline a[href="#/referrals/${referral.id}"]`);
  await page.waitForSelector('#register-form select option[value="370982001"]', { state: 'attached' });
  await page.selectOption('#register-form [name=township_code]', '370982001');
  await page.fill('#register-form [name=village]', '东关村');
  await page.fill('#register-form [name=reason]', '患阿尔茨海默症，多次走失');
  await page.click('#register-form button[type=submit]');
  await page.waitForSelector('#register-state');
  assert.match(await page.textContent('#register-state'), /青云街道东关村/);
  assert.match(await page.textContent('#register-state'), /02\/13/, 'due 60 days after 15 December');
  await page.waitForSelector('#due-revisits li[data-person]');
  assert.match(await page.textContent('#due-revisits'), /王某.*青云街道.*02\/13/);

  // The referral now names its person.
  await page.evaluate((id) => (location.hash = `#/referrals/${id}`), referral.id);
  await page.waitForSelector('#referral-person');

  // The township's liaison: their own menu, the same revisit due.
  const desk = await (await newContext(browser)).newPage();
  await logIn(desk, server.base, '/console/', 'liaison.qingyun');
  await desk.waitForSelector('#due-revisits li[data-person]');
  assert.equal(await desk.getAttribute('body', 'data-menu'), 'liaison');
  assert.equal(await desk.isVisible('#queue-panel'), false);
  await desk.click('#due-revisits a');
  await desk.waitForSelector('#revisit-form');
  assert.match(await desk.textContent('#person [data-field=id_number]'), /—/);
});

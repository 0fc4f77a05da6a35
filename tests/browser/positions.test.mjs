// A city supervisor drags the 新泰 station's pin: before anything is saved the console shows how
// many recent reports would then go to another station, and saving records the move with its
// source.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, START, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('positions', [
    ['supervisor.city', 'supervisor'],
    ['hotline.12345', 'hotline', '--channel', '12345'],
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('dragging a station shows the reroute preview, and saving keeps the source', async () => {
  const hotline = await server.login('hotline.12345');
  for (let i = 0; i < 2; i++) {
    await server.api('POST', '/api/v1/referrals', hotline, {
      id: crypto.randomUUID(),
      channel: '12345',
      reported_at: new Date(START.getTime() - 60_000).toISOString(),
      // Near where the pin is dropped (about 36.00, 117.07): 泰安's today, 新泰's after the move.
      location: { lat: 36.0, lon: 117.08 },
      people_count: 1,
      categories: [],
    });
  }
  const page = await (await newContext(browser)).newPage();
  await logIn(page, server.base, '/console/', 'supervisor.city');
  await page.waitForSelector('#map[data-ready=true]');
  const pin = page.locator('img.leaflet-marker-icon[title="新泰市救助管理站"]');
  await pin.waitFor();
  const box = await pin.boundingBox();
  const [x, y] = [box.x + box.width / 2, box.y + box.height - 4];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let step = 1; step <= 10; step++) await page.mouse.move(x - 25 * step, y - 4 * step);
  await page.mouse.up();

  const preview = page.locator('#reroute-preview');
  await preview.waitFor();
  assert.equal(await preview.getAttribute('data-referrals'), '2', 'both referrals would go to 新泰');
  assert.match(await preview.textContent(), /转介 2 条/);
  assert.match(await preview.textContent(), /taian → xintai/);
  // Nothing moved yet.
  const { stations: before } = await server.api('GET', '/api/v1/stations');
  const xintaiBefore = before.find((s) => s.code === 'xintai');
  assert.ok(Math.abs(xintaiBefore.lon - 117.76) < 0.05);

  await page.fill('#reroute-preview [name=source]', 'surveyed 2026-12-15');
  await page.click('#save-station');
  await page.waitForSelector('#reroute-preview', { state: 'detached' });
  const { stations } = await server.api('GET', '/api/v1/stations');
  const xintai = stations.find((s) => s.code === 'xintai');
  assert.ok(xintai.lon < xintaiBefore.lon - 0.2, `moved west: ${xintai.lon}`);
  const supervisor = await server.login('supervisor.city');
  const history = await server.api('GET', '/api/v1/stations/xintai/history', supervisor);
  assert.equal(history.changes.length, 1);
  assert.equal(history.changes[0].source, 'surveyed 2026-12-15');

  // A hotspot's pin moves the same way.
  const name = '东平县 railway station (probable 东平站)';
  const spot = page.locator(`img.leaflet-marker-icon[title="${name}"]`);
  const b = await spot.boundingBox();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height - 4);
  await page.mouse.down();
  for (let step = 1; step <= 5; step++) await page.mouse.move(b.x + b.width / 2 + 10 * step, b.y + b.height - 4);
  await page.mouse.up();
  await page.click('#save-hotspot');
  await page.waitForSelector('#hotspot-move', { state: 'detached' });
  const { hotspots } = await server.api('GET', '/api/v1/hotspots', supervisor);
  assert.ok(hotspots.find((h) => h.name === name).lon > 116.52, 'moved east');
});

// Names people type stay text: a hotspot named like markup shows, in the console map's
// tooltip, as the characters typed, and runs nothing.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('escaping', [['duty.taian', 'duty', '--station', 'taian'], ['supervisor.city', 'supervisor']]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a hotspot named <img src=x> shows as text in the console tooltip', async () => {
  const name = '<img src=x onerror="window.__ran=1">';
  const supervisor = await server.login('supervisor.city');
  await server.api('POST', '/api/v1/hotspots', supervisor, {
    name,
    kind: 'underpass',
    location: { lat: 36.195, lon: 117.12 },
  });

  const page = await (await newContext(browser)).newPage();
  await logIn(page, server.base, '/console/', 'duty.taian');
  await page.waitForSelector('#map[data-ready=true]');
  // Hover every marker: Leaflet opens each one's tooltip.
  await page.evaluate(() => {
    for (const path of document.querySelectorAll('#map path.leaflet-interactive')) {
      path.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    }
  });
  const tips = await page.$$eval('.leaflet-tooltip', (all) => all.map((tip) => tip.textContent));
  assert.ok(tips.some((tip) => tip.includes(name)), `the name as typed among ${tips.length} tooltips`);
  assert.equal(await page.$$eval('.leaflet-tooltip img', (imgs) => imgs.length), 0, 'no element made of it');
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'nothing ran');
});

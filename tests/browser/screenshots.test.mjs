// The pictures the README shows, taken from the real pages: the supervisor's console with the
// winter campaign's heat-map and an alert's coverage, in Chinese and in English.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { START, launchBrowser, logIn, newContext, screenshotPath, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('screens', [
    ['patrol.wang', 'patrol', '--agency', 'police'],
    ['super.city', 'supervisor'],
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fixed scatter of reports around the hotspots, so every run draws the same map. */
function campaignReports(hotspots) {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: 400 }, (_, i) => {
    const h = hotspots[i % hotspots.length];
    const spread = 0.004 + 0.03 * random() * random();
    return {
      id: randomUUID(),
      observed_at: new Date(START.getTime() - (1 + random() * 6 * 24) * 3600_000).toISOString(),
      location: { lat: h.lat + (random() - 0.5) * spread, lon: h.lon + (random() - 0.5) * spread },
      people_count: 1 + Math.floor(random() * 3),
      categories: random() < 0.15 ? ['elderly'] : [],
      action_taken: 'informed_of_station',
    };
  });
}

test('the console map shows the campaign heat-map, hotspots and alert coverage', async () => {
  const patrol = await server.login('patrol.wang');
  const supervisor = await server.login('super.city');
  const { hotspots } = await server.api('GET', '/api/v1/hotspots', patrol);
  const batch = await server.api('POST', '/api/v1/sightings/batch', patrol, { sightings: campaignReports(hotspots) });
  assert.equal(batch.created, 400);

  const alert = await server.api('POST', '/api/v1/alerts', supervisor, {
    id: randomUUID(),
    kind: 'cold_wave',
    counties: ['370902', '370911', '370982', '370983', '370921', '370923'],
    starts_at: new Date(START.getTime() - 6 * 3600_000).toISOString(),
    ends_at: new Date(START.getTime() + 48 * 3600_000).toISOString(),
    note: '寒潮蓝色预警',
  });
  for (const h of hotspots.slice(0, 5)) {
    await server.api('POST', `/api/v1/hotspots/${h.id}/checkins`, patrol, {
      id: randomUUID(),
      at: new Date(START.getTime() - 3600_000).toISOString(),
      location: { lat: h.lat, lon: h.lon },
      people_found: 1,
    });
  }

  const page = await (await newContext(browser)).newPage();
  await logIn(page, server.base, '/console/', 'super.city');
  await page.waitForSelector('#map[data-ready=true]');
  assert.equal(await page.inputValue('#campaign'), 'winter-2026');
  const cells = Number(await page.getAttribute('#map', 'data-heat-cells'));
  assert.ok(cells >= 10, `${cells} heat-map cells`);
  assert.ok((await page.locator('#map .leaflet-overlay-pane path').count()) >= cells + 13);
  const coverage = await server.api('GET', `/api/v1/alerts/${alert.id}/coverage`, supervisor);
  assert.equal(await page.textContent('#coverage-summary'), `cold_wave：已巡查 ${coverage.visited}/${coverage.total}`);
  assert.equal(coverage.visited, 5);
  // Supervisors also get the accountability table.
  await page.waitForSelector('#accountability tbody tr');
  // Closer in, the cells get finer: the map asks for a smaller size at each zoom.
  const cityWide = await page.getAttribute('#map', 'data-heat-cell-m');
  await page.click('#map .leaflet-control-zoom-in');
  await page.waitForFunction((before) => document.querySelector('#map').dataset.heatCellM !== before, cityWide);
  assert.ok(Number(await page.getAttribute('#map', 'data-heat-cell-m')) < Number(cityWide));
  await page.locator('#map-panel').screenshot({ path: screenshotPath('console-map-heatmap.png') });

  await page.click('#lang');
  assert.equal(await page.textContent('#desk h2'), 'Queue');
  await page.screenshot({ path: screenshotPath('console-en.png'), fullPage: true });
});

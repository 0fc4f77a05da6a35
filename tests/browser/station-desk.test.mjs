// The station desk in a browser: a duty officer records a call about a place nearer another
// station (首接责任制: the caller's station stays accountable), links a second report of the
// same person into one case, and signs for a person a patrol escorts to the station; a patrol
// proposes a new sleeping place and a supervisor approves it from the console.

import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn, newContext, START, startServer } from './harness.mjs';

const FEICHENG = { lat: 36.1855, lon: 116.758 };
const XINTAI = { lat: 35.9085, lon: 117.7665 };

let server;
let browser;
let robot;
const robotMessages = [];

before(async () => {
  // 肥城's WeCom group robot: takes the message, answers as WeCom does.
  robot = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      robotMessages.push(JSON.parse(body));
      res.setHeader('Content-Type', 'application/json');
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise((resolve) => robot.listen(0, '127.0.0.1', resolve));
  const webhook = `http://127.0.0.1:${robot.address().port}/cgi-bin/webhook/send?key=k`;
  server = await startServer('desk', [
    ['duty.xintai', 'duty', '--station', 'xintai'],
    ['duty.feicheng', 'duty', '--station', 'feicheng'],
    ['hotline.12345', 'hotline', '--channel', '12345'],
    ['patrol.li', 'patrol', '--agency', 'urban_management', '--unit', '新泰市城管局'],
    ['supervisor.city', 'supervisor'],
    ['duty.ningyang', 'duty', '--station', 'ningyang'],
  ], { XUNJIU_PUSH_ALLOW_LOOPBACK: 'true' }, [['notify', 'add', '--name', 'feicheng-wecom', '--kind', 'wecom', '--station', 'feicheng', '--webhook', webhook]]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  robot?.close();
});

async function desk(username) {
  const page = await (await newContext(browser)).newPage();
  await logIn(page, server.base, '/console/', username);
  await page.waitForSelector('#map[data-ready=true]');
  return page;
}

test('a call to 新泰 about a place in 肥城 is recorded at the desk and answered for by 新泰', async () => {
  const page = await desk('duty.xintai');
  await page.click('#call-panel summary');
  await page.selectOption('#call [name=channel]', 'station_phone');
  await page.fill('#call [name=lat]', String(FEICHENG.lat));
  await page.fill('#call [name=lon]', String(FEICHENG.lon));
  await page.fill('#call [name=address]', '肥城市新城路天桥下');
  await page.check('#call [name=category][value=elderly]');
  await page.fill('#call [name=caller_phone]', '13800138000');
  await page.fill('#call [name=description]', '来电称有老人在天桥下过夜');
  await page.click('#call button[type=submit]');

  // The new referral opens: held by 肥城 until it accepts, answered for by 新泰.
  await page.waitForSelector('#detail dl.facts[data-status=routed]');
  assert.match(await page.textContent('#detail [data-field=channel]'), /救助站来电/);
  assert.match(await page.textContent('#detail [data-field=accountable]'), /新泰/);
  assert.match(await page.textContent('#detail [data-field=holding]'), /肥城/);
  assert.match(await page.textContent('#detail [data-field=status]'), /等待/);

  const feicheng = await server.login('duty.feicheng');
  const queue = await server.api('GET', '/api/v1/stations/feicheng/queue', feicheng);
  assert.equal(queue.entries.length, 1);
  assert.equal(queue.entries[0].referral.accountable_station, 'xintai');
  assert.equal(queue.entries[0].referral.channel, 'station_phone');

  // 肥城's WeCom group hears of it, without the caller's phone; the referral says so.
  const id = queue.entries[0].referral.id;
  for (let i = 0; i < 50 && robotMessages.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(robotMessages.length, 1);
  assert.match(robotMessages[0].markdown.content, /肥城市救助管理站/);
  assert.doesNotMatch(JSON.stringify(robotMessages[0]), /13800138000|天桥/);
  await page.reload();
  await page.waitForSelector(`#detail dl.facts[data-id="${id}"]`);
  await page.waitForSelector('#detail .delivery[data-kind=wecom][data-status=delivered]');
  assert.match(await page.textContent('#detail [data-field=notified]'), /企业微信 ✓/);
});

test('a second report of the same person is linked into the first one’s case', async () => {
  const hotline = await server.login('hotline.12345');
  const report = (minutes, ref) => ({
    id: crypto.randomUUID(),
    channel: '12345',
    external_ref: ref,
    reported_at: new Date(START.getTime() - minutes * 60_000).toISOString(),
    location: { lat: XINTAI.lat, lon: XINTAI.lon },
    people_count: 1,
    categories: [],
  });
  const first = await server.api('POST', '/api/v1/referrals', hotline, report(30, 'GD-1'));
  const second = await server.api('POST', '/api/v1/referrals', hotline, report(10, 'GD-2'));
  assert.equal(second.possible_duplicates[0].id, first.id);

  const page = await desk('duty.xintai');
  await page.waitForSelector(`#queue .entry[data-id="${second.id}"]`);
  await page.click(`#queue .entry[data-id="${first.id}"]`);
  const button = page.locator(`#detail .duplicates [data-link="${second.id}"]`);
  await button.waitFor();
  await button.click();
  // The member leaves the queue; the primary's timeline records the link.
  await page.waitForSelector(`#queue .entry[data-id="${second.id}"]`, { state: 'detached' });
  await page.waitForSelector('#detail .timeline li[data-kind=link]');
  assert.equal(await page.locator(`#queue .entry[data-id="${first.id}"]`).count(), 1);
  const member = await server.api('GET', `/api/v1/referrals/${second.id}`, await server.login('duty.xintai'));
  assert.equal(member.case_of, first.id);
});

test('a patrol escorts a person to 新泰 and the duty officer signs for the hand-over', async () => {
  const phone = await (await newContext(browser, { at: XINTAI })).newPage();
  await logIn(phone, server.base, '/patrol/', 'patrol.li');
  await phone.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);
  await phone.selectOption('#action', 'escorted_to_station');
  await phone.waitForSelector('#escort:not(.hidden)');
  await phone.waitForSelector('#escorted-to option[value=xintai]', { state: 'attached' });
  await phone.selectOption('#escorted-to', 'xintai');
  await phone.click('#send');
  await phone.waitForSelector('#result[data-state=sent]');

  const page = await desk('duty.xintai');
  const entry = page.locator('#queue .entry[data-status=routed]').filter({ hasText: '街面巡查' });
  await entry.first().waitFor();
  await entry.first().click();
  await page.waitForSelector('#detail [data-field=kind]');
  assert.match(await page.textContent('#detail [data-field=kind]'), /护送交接/);
  await page.click('#detail button[data-action=accept]');
  await page.waitForSelector('#detail dl.facts[data-status=accepted]');
  // A hand-over is signed for at the station: no trip out, it resolves from accepted.
  await page.selectOption('#detail form[data-action=resolve] [name=outcome]', 'admitted_to_station');
  await page.click('#detail form[data-action=resolve] button[type=submit]');
  await page.waitForSelector('#detail dl.facts[data-status=resolved]');
  assert.match(await page.textContent('#detail [data-field=outcome]'), /入站救助/);
});

test('a patrol proposes a new spot and a supervisor approves it into the hotspot registry', async () => {
  const phone = await (await newContext(browser, { at: XINTAI })).newPage();
  await logIn(phone, server.base, '/patrol/', 'patrol.li');
  await phone.waitForFunction(() => document.querySelector('#accuracy').dataset.lat !== undefined);
  await phone.click('#tabs [data-tab=checkin]');
  await phone.click('#new-spot summary');
  await phone.fill('#spot-name', '新汶河桥洞');
  await phone.selectOption('#spot-kind', 'bridge_culvert');
  await phone.click('#propose button[type=submit]');
  // It is listed at once to check in at, marked as waiting for review.
  await phone.waitForSelector('#hotspots .badge.pending');

  const page = await desk('supervisor.city');
  const approve = page.locator('#proposal-list [data-approve]');
  await approve.waitFor();
  await approve.click();
  await page.waitForSelector('#proposal-list li.muted');
  const { hotspots } = await server.api('GET', '/api/v1/hotspots', await server.login('patrol.li'));
  const made = hotspots.find((h) => h.name === '新汶河桥洞');
  assert.ok(made, 'the approved place is a hotspot');
  assert.equal(made.county_code, '370982');
});

test('a long queue comes in pages of 50 with 更多 for the rest', async () => {
  const hotline = await server.login('hotline.12345');
  for (let i = 0; i < 52; i++) {
    await server.api('POST', '/api/v1/referrals', hotline, {
      id: crypto.randomUUID(),
      channel: '12345',
      reported_at: new Date(START.getTime() - 60_000).toISOString(),
      location: { lat: 35.7857, lon: 116.7923 },
      people_count: 1,
      categories: [],
    });
  }
  const page = await desk('duty.ningyang');
  await page.waitForFunction(() => document.querySelectorAll('#queue .entry').length === 50);
  await page.click('#queue-more');
  await page.waitForFunction(() => document.querySelectorAll('#queue .entry').length === 52);
  assert.equal(await page.locator('#queue-more').count(), 0, 'nothing more');
});

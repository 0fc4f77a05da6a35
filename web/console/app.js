// The duty console: log in, follow one station's queue live, act on referrals, watch the map.

import { Api } from '/assets/api.js';
import { apply, lang, setLang, t } from '/assets/i18n.js';
import { Queue } from './queue.js';
import { ReferralPanel } from './referral.js';
import { MapView } from './mapview.js';
import { Reports } from './reports.js';
import { CallForm } from './callform.js';
import { Incidents } from './incidents.js';
import { Proposals } from './proposals.js';
import { PeoplePanel } from './people.js';
import { StationEditor } from './stations.js';
import { disableNotifications, enableNotifications } from './notifications.js';

const api = new Api('console');
const $ = (id) => document.getElementById(id);

export function toast(text, isError = false) {
  const box = $('toast');
  box.textContent = text;
  box.classList.toggle('error', isError);
  box.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.add('hidden'), 4000);
}

function showLogin() {
  $('login').classList.remove('hidden');
  $('desk').classList.add('hidden');
  $('logout').classList.add('hidden');
  $('notify').classList.add('hidden');
  $('station-picker').classList.add('hidden');
  $('whoami').textContent = '';
}

async function start(user) {
  $('login').classList.add('hidden');
  $('desk').classList.remove('hidden');
  $('logout').classList.remove('hidden');
  $('whoami').textContent = user.username;
  if ('serviceWorker' in navigator && 'PushManager' in window) $('notify').classList.remove('hidden');

  const people = new PeoplePanel(api, $('people-panel'), user, toast);
  people.refreshDue();
  const showPerson = () => {
    const match = /^#\/people\/([0-9a-f-]{36})$/.exec(location.hash);
    if (match) people.show(match[1]);
    // Alerts of a late revisit link to the due list, never to the person.
    if (location.hash === '#/revisits') {
      people.refreshDue();
      $('due-revisits').scrollIntoView({ block: 'nearest' });
    }
  };
  window.addEventListener('hashchange', showPerson);
  showPerson();
  // A liaison's own menu: the township's revisits, roster and people, no station desk.
  if (user.role === 'liaison') {
    for (const id of ['queue-panel', 'detail-panel', 'map-panel', 'incidents-panel', 'call-panel']) $(id).classList.add('hidden');
    document.body.dataset.menu = 'liaison';
    return;
  }

  const { stations } = await api.get('/api/v1/stations');
  const supervisor = user.role === 'supervisor';
  const station = supervisor ? pickStation(await followable(user, stations)) : user.station;
  const detail = new ReferralPanel(api, $('detail'), stations, toast);
  detail.onPersonLinked = (id) => {
    location.hash = `#/people/${id}`;
  };
  const queue = new Queue(api, $('queue'), $('queue-empty'), $('live-state'), (id) => openReferral(id));
  const map = new MapView(api, $('map'), $('campaign'), $('coverage-summary'), (id) => openReferral(id));

  function openReferral(id) {
    if (location.hash !== `#/referrals/${id}`) location.hash = `#/referrals/${id}`;
    queue.select(id);
    detail.show(id);
  }
  detail.onChange = () => {
    queue.refresh();
    map.refreshReferrals();
  };
  queue.onChange = (id) => {
    if (id === null || id === detail.id) detail.refresh();
    map.refreshReferrals();
  };

  const incidents = new Incidents(api, $('incidents-panel'), user, stations, toast);
  const call = user.role === 'duty'
    ? new CallForm(api, $('call-panel'), toast, (referral) => {
      queue.refresh();
      map.refreshReferrals();
      openReferral(referral.id);
    })
    : null;
  $('call-panel').classList.toggle('hidden', !call);
  detail.onIncident = (referral) => incidents.prefill(referral);

  if (station) queue.follow(station);
  $('station-picker').addEventListener('change', (e) => {
    localStorage.setItem('xunjiu.console.station', e.target.value);
    queue.follow(e.target.value);
  });
  window.addEventListener('hashchange', () => routeFromHash(openReferral));
  routeFromHash(openReferral);
  await map.start();
  map.pickers.push((at) => call?.pick(at) ?? false, (at) => incidents.pick(at));
  incidents.refresh();
  if (supervisor) {
    new Reports(api, $('reports-panel'), () => $('campaign').value).start();
    new Proposals(api, $('proposals-panel'), map.layers.proposals, toast, () => map.refreshHotspots()).refresh();
    if (!user.county_code) {
      // City supervisors correct stations: their pins are draggable in a layer of their own.
      map.layers.station_edit.addTo(map.map);
      new StationEditor(api, map.map, map.layers.station_edit, toast, () => {
        map.refreshReferrals();
        map.refreshHotspots();
      }).refresh();
    }
  }
}

/** The stations whose queues a supervisor may follow: all for the city, for a county supervisor
 * those that answer for the county or stand in it (the server holds the same rule). */
async function followable(user, stations) {
  if (!user.county_code) return stations;
  const areas = await api.get('/api/v1/areas.geojson');
  const serving = new Set(
    areas.features.filter((f) => f.properties.code === user.county_code).map((f) => f.properties.station_code),
  );
  return stations.filter((s) => serving.has(s.code) || s.county_code === user.county_code);
}

function pickStation(stations) {
  const picker = $('station-picker');
  picker.replaceChildren(
    ...stations.map((s) => Object.assign(document.createElement('option'), { value: s.code, textContent: s.name })),
  );
  const remembered = localStorage.getItem('xunjiu.console.station');
  picker.value = stations.some((s) => s.code === remembered) ? remembered : stations[0]?.code;
  picker.classList.remove('hidden');
  return picker.value;
}

function routeFromHash(open) {
  const match = /^#\/referrals\/([0-9a-f-]{36})$/.exec(location.hash);
  if (match) open(match[1]);
  const incident = /^#\/incidents\/([0-9a-f-]{36})$/.exec(location.hash);
  if (incident) $('incidents-panel').scrollIntoView();
}

$('lang').addEventListener('click', () => {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  document.dispatchEvent(new Event('xunjiu:lang'));
});
$('logout').addEventListener('click', async () => {
  // The subscription is removed while the token still works, then the token is revoked.
  await disableNotifications(api).catch(() => {});
  await api.logout().catch(() => {});
  location.reload();
});
$('notify').addEventListener('click', async () => {
  try {
    await enableNotifications(api);
    $('notify').textContent = t('notifications_on');
    $('notify').disabled = true;
  } catch (err) {
    toast(t('notifications_failed', { message: err.message }), true);
  }
});
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    const user = await api.login($('username').value, $('password').value);
    $('password').value = '';
    await start(user);
  } catch (err) {
    $('login-error').textContent = t('login_failed', { message: err.message });
  }
});

apply(document);
const session = api.user;
if (session) {
  api
    .get('/api/v1/auth/me')
    .then(start)
    .catch(() => showLogin());
} else {
  showLogin();
}

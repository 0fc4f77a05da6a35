// The patrol app: one screen to report a person found, the nearest station's phone to hand
// over, hotspot check-ins, and an outbox that keeps everything until the server has it.

import { Api, distanceM, el, uuid } from '/assets/api.js';
import { apply, lang, setLang, t } from '/assets/i18n.js';
import { L, TAIAN, createMap, outlinesLayer } from '/assets/map.js';
import { Outbox } from './outbox.js';
import { Checkins } from './checkin.js';

const CATEGORIES = ['elderly', 'minor', 'mental_disorder', 'disabled', 'ill_or_injured'];
const ACTIONS = ['informed_of_station', 'escorted_to_station', 'referred', 'called_120', 'declined_help', 'none'];
const HOTSPOT_KINDS = ['bridge_culvert', 'underpass', 'heat_pipeline', 'abandoned_building', 'railway_station', 'bus_station', 'park', 'other'];

const api = new Api('patrol');
const $ = (id) => document.getElementById(id);
const outbox = new Outbox(api, showCount);
const position = { lat: null, lon: null, accuracy: null, manual: false };
let pin = null;
let mapReady = null;

function toast(text, isError = false) {
  const box = $('toast');
  box.textContent = text;
  box.classList.toggle('error', isError);
  box.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.add('hidden'), 4000);
}

function showCount({ unsent, rejected }) {
  const box = $('outbox');
  box.dataset.unsent = String(unsent);
  box.textContent = unsent ? t('unsent', { n: unsent }) : t('all_sent');
  box.classList.toggle('waiting', unsent > 0);
  if (rejected.length) {
    box.append(el('span', { class: 'error' }, ` · ${rejected.length} ✗ ${rejected.map((r) => r.error?.message).join('; ')}`));
  }
}

function showNet() {
  $('net').textContent = navigator.onLine ? t('online') : t('offline');
  $('net').classList.toggle('off', !navigator.onLine);
}

/** Reference data kept on the phone, so the app works where the network does not. */
async function cached(key, path) {
  const storageKey = `xunjiu.patrol.cache.${key}`;
  try {
    const fresh = await api.get(path);
    localStorage.setItem(storageKey, JSON.stringify(fresh));
    return fresh;
  } catch (err) {
    const kept = localStorage.getItem(storageKey);
    if (kept) return JSON.parse(kept);
    throw err;
  }
}

function fillForm() {
  $('categories').replaceChildren(
    ...CATEGORIES.map((c) =>
      el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', dataset: { category: c },
        onclick: (e) => e.currentTarget.setAttribute('aria-pressed', String(e.currentTarget.getAttribute('aria-pressed') !== 'true')) },
        t('cat_' + c))),
  );
  const chosen = $('action').value || 'informed_of_station';
  $('action').replaceChildren(...ACTIONS.map((a) => el('option', { value: a }, t('act_' + a))));
  $('action').value = chosen;
  showEscort();
  fillStations();
  const kind = $('spot-kind').value || 'bridge_culvert';
  $('spot-kind').replaceChildren(...HOTSPOT_KINDS.map((k) => el('option', { value: k }, t('kind_' + k))));
  $('spot-kind').value = kind;
}

/** 护送到站: the station the person is taken to; the nearest unless the officer picks one. */
function showEscort() {
  $('escort').classList.toggle('hidden', $('action').value !== 'escorted_to_station');
}

async function fillStations() {
  const chosen = $('escorted-to').value;
  const { stations } = await cached('stations', '/api/v1/stations').catch(() => ({ stations: [] }));
  $('escorted-to').replaceChildren(
    el('option', { value: '' }, t('nearest_station_option')),
    ...stations.map((s) => el('option', { value: s.code }, s.name)),
  );
  $('escorted-to').value = chosen;
}

async function startMap() {
  const map = await createMap($('pin-map'), api);
  try {
    const areas = await cached('areas', '/api/v1/areas.geojson');
    L.geoJSON(areas, { style: { color: '#234', weight: 1, fill: false } }).addTo(map);
  } catch {
    // No outlines yet on this phone: the pin still works.
  }
  pin = L.marker(TAIAN, { draggable: true }).addTo(map);
  const place = (latlng, manual) => {
    position.lat = latlng.lat;
    position.lon = latlng.lng;
    position.manual = manual;
    if (manual) position.accuracy = null;
    pin.setLatLng(latlng);
    showAccuracy();
  };
  pin.on('dragend', () => place(pin.getLatLng(), true));
  map.on('click', (e) => place(e.latlng, true));
  if ('geolocation' in navigator) {
    navigator.geolocation.watchPosition(
      (p) => {
        if (position.manual) return;
        position.accuracy = p.coords.accuracy;
        place({ lat: p.coords.latitude, lng: p.coords.longitude }, false);
        map.setView([position.lat, position.lon], 16);
      },
      () => {
        if (position.lat === null) $('accuracy').textContent = t('no_location');
      },
      { enableHighAccuracy: true, maximumAge: 10_000, timeout: 20_000 },
    );
  } else {
    $('accuracy').textContent = t('no_location');
  }
  return map;
}

function showAccuracy() {
  const where = `${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}`;
  $('accuracy').textContent = position.accuracy === null
    ? `${where} · ✎`
    : `${where} · ${t('accuracy', { m: Math.round(position.accuracy) })}`;
  $('accuracy').dataset.lat = String(position.lat);
  $('accuracy').dataset.lon = String(position.lon);
}

async function sendReport(e) {
  e.preventDefault();
  if (position.lat === null) {
    toast(t('no_location'), true);
    return;
  }
  const sighting = {
    id: uuid(),
    observed_at: new Date().toISOString(),
    location: { lat: position.lat, lon: position.lon, accuracy_m: position.accuracy ?? undefined },
    people_count: Number($('people').value) || 1,
    categories: [...document.querySelectorAll('#categories [aria-pressed="true"]')].map((b) => b.dataset.category),
    action_taken: $('action').value,
    escorted_to: ($('action').value === 'escorted_to_station' && $('escorted-to').value) || undefined,
    notes: $('notes').value.trim() || undefined,
  };
  $('send').disabled = true;
  try {
    await outbox.addSighting(sighting);
    let answers = await outbox.flush();
    // A flush already under way when this report was saved did not carry it.
    if (!answers.has(sighting.id)) answers = await outbox.flush();
    showResult(sighting, answers.get(sighting.id));
  } catch (err) {
    toast(t('error', { message: err.message }), true);
  } finally {
    $('send').disabled = false;
  }
}

async function showResult(sighting, stored) {
  let station = stored?.station;
  let estimate = false;
  if (!station) {
    const { stations } = await cached('stations', '/api/v1/stations').catch(() => ({ stations: [] }));
    station = stations
      .map((s) => ({ ...s, d: distanceM(sighting.location, s) }))
      .sort((a, b) => a.d - b.d)[0];
    estimate = true;
  }
  $('report').classList.add('hidden');
  $('result').classList.remove('hidden');
  $('result').dataset.state = stored ? 'sent' : 'saved';
  $('result-state').textContent = stored ? `✓ ${t('sent')}` : t('saved_offline');
  $('station-name').textContent = station ? station.name + (estimate ? ` ${t('estimate')}` : '') : '—';
  $('station-address').textContent = station?.address ?? '';
  $('station-phone').textContent = station ? t('call', { phone: station.phone }) : '';
  $('station-phone').href = station ? `tel:${station.phone.replace(/[^\d+]/g, '')}` : '#';
  $('station-phone').dataset.phone = station?.phone ?? '';
}

function resetForm() {
  $('report').reset();
  fillForm();
  $('result').classList.add('hidden');
  $('report').classList.remove('hidden');
}

function showTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  $('report-view').classList.toggle('hidden', name !== 'report');
  $('checkin-view').classList.toggle('hidden', name !== 'checkin');
  if (name === 'checkin') checkins.render();
}

const checkins = new Checkins(api, outbox, $('hotspots'), position, cached, toast);

async function start() {
  $('login').classList.add('hidden');
  $('logout').classList.remove('hidden');
  $('tabs').classList.remove('hidden');
  showTab('report');
  fillForm();
  // Logging in again after a lapsed session keeps the map already drawn.
  mapReady ??= startMap();
  await mapReady;
  cached('stations', '/api/v1/stations').catch(() => {});
  await outbox.count();
  outbox.flush();
  document.body.dataset.ready = 'true';
}

function showLogin() {
  $('login').classList.remove('hidden');
  $('tabs').classList.add('hidden');
  $('report-view').classList.add('hidden');
  $('checkin-view').classList.add('hidden');
  $('logout').classList.add('hidden');
}

outbox.onLoggedOut = () => {
  toast(t('retry_login'), true);
  showLogin();
};

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    await api.login($('username').value, $('password').value);
    $('password').value = '';
    await start();
  } catch (err) {
    $('login-error').textContent = t('login_failed', { message: err.message });
  }
});
$('logout').addEventListener('click', async () => {
  // Unsent reports stay on the phone for this account alone; say so before they are left.
  const { unsent } = await outbox.count();
  if (unsent > 0 && !window.confirm(t('logout_unsent', { n: unsent }))) return;
  await api.logout().catch(() => {});
  location.reload();
});
$('lang').addEventListener('click', () => {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  fillForm();
  showNet();
  outbox.count();
  checkins.render();
});
$('report').addEventListener('submit', sendReport);
$('action').addEventListener('change', showEscort);
$('propose').addEventListener('submit', (e) => {
  e.preventDefault();
  checkins.propose({ name: $('spot-name').value, kind: $('spot-kind').value, note: $('spot-note').value.trim() || undefined })
    .then((done) => done && $('propose').reset());
});
$('again').addEventListener('click', resetForm);
$('people-minus').addEventListener('click', () => ($('people').value = Math.max(1, Number($('people').value) - 1)));
$('people-plus').addEventListener('click', () => ($('people').value = Math.min(50, Number($('people').value) + 1)));
for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
window.addEventListener('online', () => {
  showNet();
  outbox.flush();
});
window.addEventListener('offline', showNet);
setInterval(() => navigator.onLine && outbox.flush(), 30_000);

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/patrol/sw.js', { scope: '/patrol/' }).catch(() => {});
}
apply(document);
showNet();
// The session is kept on the phone: a patrol logs in once and can open the app offline.
if (api.session) start();
else showLogin();

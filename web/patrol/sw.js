// The patrol app's service worker: keeps the app itself on the phone so that it opens with no
// network. Pages and scripts come from the network when it answers (so updates arrive) and from
// the cache when it does not; the API is never cached here (the outbox handles writes).

const CACHE = 'xunjiu-patrol-v2';
const SHELL = [
  '/patrol/',
  '/patrol/app.js',
  '/patrol/outbox.js',
  '/patrol/checkin.js',
  '/patrol/patrol.css',
  '/patrol/manifest.webmanifest',
  '/patrol/icon.svg',
  '/patrol/icon-192.png',
  '/patrol/icon-512.png',
  '/assets/api.js',
  '/assets/i18n.js',
  '/assets/map.js',
  '/assets/crs.js',
  '/assets/style.css',
  '/assets/leaflet/leaflet.js',
  '/assets/leaflet/leaflet.css',
  '/assets/leaflet/images/marker-icon.png',
  '/assets/leaflet/images/marker-icon-2x.png',
  '/assets/leaflet/images/marker-shadow.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith('/patrol/') && !url.pathname.startsWith('/assets/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(event.request, { ignoreSearch: true }).then((hit) => hit ?? caches.match('/patrol/')),
      ),
  );
});

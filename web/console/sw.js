// The console's service worker: shows pushed referrals and opens them when tapped.

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { title: '巡救', body: event.data?.text() ?? '' };
  }
  event.waitUntil(
    self.registration.showNotification(message.title ?? '巡救', {
      body: message.body ?? '',
      tag: message.referral_id,
      renotify: true,
      requireInteraction: message.priority === 'urgent',
      data: { url: message.url ?? '/console/' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? '/console/', self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(self.location.origin + '/console/'));
      if (open) return open.navigate(url).then((w) => (w ?? open).focus());
      return self.clients.openWindow(url);
    }),
  );
});

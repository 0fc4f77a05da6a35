// Web push for duty officers: a service worker subscribed with the server's VAPID key, so a new
// referral rings even when the console's tab is in the background.

export async function enableNotifications(api) {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
    throw new Error('this browser has no web push');
  }
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(permission);
  const registration = await navigator.serviceWorker.register('/console/sw.js', { scope: '/console/' });
  await navigator.serviceWorker.ready;
  const { public_key: key } = await api.get('/api/v1/push/vapid-public-key');
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(key) }));
  const { endpoint, keys } = subscription.toJSON();
  await api.post('/api/v1/push/subscriptions', { endpoint, keys });
}

/** Stop pushes to this browser: the server forgets the subscription, then the browser drops it.
 * Called on logout, so that the next person at this desk is not sent the last one's alerts. */
export async function disableNotifications(api) {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration('/console/');
  const subscription = await registration?.pushManager?.getSubscription();
  if (!subscription) return;
  try {
    await api.delete('/api/v1/push/subscriptions', { endpoint: subscription.endpoint });
  } catch (err) {
    // Already gone on the server: the browser side must still go.
    if (err.status !== 404) throw err;
  } finally {
    await subscription.unsubscribe();
  }
}

function fromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

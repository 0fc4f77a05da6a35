// Reports and check-ins are written to IndexedDB before anything is sent, with the ids the
// server deduplicates on, so a closed page, a dead network or a retry loses and doubles nothing.
// Sightings go in batches (POST /api/v1/sightings/batch); check-ins one by one.
// Each item belongs to the account that wrote it (`owner`): on a phone shared by a shift, what
// one officer wrote is sent only under that officer's login, never under the next one's.

const DB_NAME = 'xunjiu-patrol';
const STORES = ['sightings', 'checkins', 'rejected'];
// Each report costs one write from the account's allowance (60 at once by default): batches stay
// below it, and halve after a 429 in case the server's allowance is smaller.
const BATCH = 50;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      for (const name of STORES) {
        if (!request.result.objectStoreNames.contains(name)) {
          request.result.createObjectStore(name, { keyPath: 'id' });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(result?.result ?? result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const put = (store, item) => run(store, 'readwrite', (s) => s.put(item));
const remove = (store, ids) => run(store, 'readwrite', (s) => ids.forEach((id) => s.delete(id)));
const all = (store) => run(store, 'readonly', (s) => s.getAll());

/** The item as the server takes it, without what only the phone keeps. */
function wire(item) {
  const { owner: _owner, ...body } = item;
  return body;
}

export class Outbox {
  constructor(api, onCount) {
    this.api = api;
    this.onCount = onCount;
    this.flushing = null;
    this.batch = BATCH;
    this.retryTimer = null;
  }

  /** The logged-in account's id, or null. */
  get owner() {
    return this.api.user?.id ?? null;
  }

  /** This account's items of a store. Items saved before owners were kept (no `owner`) go
   * with whoever logs in, as they always did. */
  async mine(store) {
    const owner = this.owner;
    if (!owner) return [];
    return (await all(store)).filter((item) => !item.owner || item.owner === owner);
  }

  async addSighting(sighting) {
    await put('sightings', { ...sighting, owner: this.owner });
    await this.count();
  }

  async addCheckin(hotspotId, checkin) {
    await put('checkins', { ...checkin, hotspot_id: hotspotId, owner: this.owner });
    await this.count();
  }

  async count() {
    const [sightings, checkins, rejected] = await Promise.all(STORES.map((s) => this.mine(s)));
    const counts = { unsent: sightings.length + checkins.length, rejected };
    this.onCount(counts);
    return counts;
  }

  /** Send what waits; one flush at a time. Resolves to the server's answers by id. */
  flush() {
    this.flushing ??= this.send().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async send() {
    const answers = new Map();
    if (!this.api.session) return answers;
    try {
      const waiting = await this.mine('sightings');
      for (let i = 0; i < waiting.length; i += this.batch) {
        const batch = waiting.slice(i, i + this.batch).map(wire);
        const result = await this.api.post('/api/v1/sightings/batch', { sightings: batch });
        const done = [];
        for (const item of result.results) {
          const sent = waiting[i + item.index];
          if (item.status === 'error') {
            // The server will never take it as it is (too old, out of area …): keep it aside,
            // visible, rather than retry for ever or drop it.
            await put('rejected', { ...sent, error: item.error });
          } else {
            answers.set(sent.id, item.sighting);
          }
          done.push(sent.id);
        }
        await remove('sightings', done);
      }
      for (const checkin of await this.mine('checkins')) {
        const { hotspot_id: hotspot, ...body } = wire(checkin);
        try {
          answers.set(checkin.id, await this.api.post(`/api/v1/hotspots/${hotspot}/checkins`, body));
        } catch (err) {
          if (err.network || err.status === 401 || err.status === 429 || err.status >= 500) throw err;
          await put('rejected', { ...checkin, error: { code: err.code, message: err.message } });
        }
        await remove('checkins', [checkin.id]);
      }
    } catch (err) {
      // Offline, logged out or the server is down: everything unsent stays for the next try.
      if (!(err.network || err.status === 401 || err.status === 429 || err.status >= 500)) throw err;
      if (err.status === 401) this.onLoggedOut?.();
      if (err.status === 429) this.retryLater(err.retryAfter);
    } finally {
      await this.count();
    }
    return answers;
  }

  /** Too many writes: send again when the server says, in smaller batches. */
  retryLater(seconds) {
    this.batch = Math.max(1, Math.floor(this.batch / 2));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), (seconds ?? 30) * 1000);
  }
}

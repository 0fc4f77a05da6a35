// Reports and check-ins are written to IndexedDB before anything is sent, with the ids the
// server deduplicates on, so a closed page, a dead network or a retry loses and doubles nothing.
// Sightings go in batches (POST /api/v1/sightings/batch); check-ins one by one.

const DB_NAME = 'xunjiu-patrol';
const STORES = ['sightings', 'checkins', 'rejected'];
const BATCH = 100;

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

export class Outbox {
  constructor(api, onCount) {
    this.api = api;
    this.onCount = onCount;
    this.flushing = null;
  }

  async addSighting(sighting) {
    await put('sightings', sighting);
    await this.count();
  }

  async addCheckin(hotspotId, checkin) {
    await put('checkins', { ...checkin, hotspot_id: hotspotId });
    await this.count();
  }

  async count() {
    const [sightings, checkins, rejected] = await Promise.all(STORES.map(all));
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
      const waiting = await all('sightings');
      for (let i = 0; i < waiting.length; i += BATCH) {
        const result = await this.api.post('/api/v1/sightings/batch', { sightings: waiting.slice(i, i + BATCH) });
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
      for (const checkin of await all('checkins')) {
        const { hotspot_id: hotspot, ...body } = checkin;
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
    } finally {
      await this.count();
    }
    return answers;
  }
}

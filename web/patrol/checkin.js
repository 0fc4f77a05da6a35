// Hotspot check-ins: the registered hotspots nearest the officer, and the places this officer
// proposed that wait for review (新点位), people found, one tap.

import { distanceM, el, uuid } from '/assets/api.js';
import { t } from '/assets/i18n.js';

const SHOWN = 10;

export class Checkins {
  constructor(api, outbox, list, position, cached, toast) {
    this.api = api;
    this.outbox = outbox;
    this.list = list;
    this.position = position;
    this.cached = cached;
    this.toast = toast;
  }

  async render() {
    let hotspots = [];
    try {
      ({ hotspots } = await this.cached('hotspots', '/api/v1/hotspots?active=true'));
    } catch (err) {
      this.list.replaceChildren(el('li', { class: 'error' }, t('error', { message: err.message })));
      return;
    }
    // Proposals need the network; offline the registered hotspots are enough.
    const pending = await this.api.get('/api/v1/hotspots/proposals?status=pending')
      .then((r) => r.proposals.map((p) => ({ ...p, pending: true })))
      .catch(() => []);
    const here = this.position.lat === null ? null : this.position;
    const nearest = [...pending, ...hotspots]
      .map((h) => ({ ...h, d: here ? distanceM(here, h) : null }))
      .sort((a, b) => (a.d ?? 0) - (b.d ?? 0))
      .slice(0, SHOWN);
    this.list.replaceChildren(...nearest.map((h) => this.row(h)));
  }

  row(h) {
    const people = el('input', { type: 'number', inputmode: 'numeric', min: 0, max: 200, value: 0, 'aria-label': t('people_found') });
    const button = el('button', { type: 'button' }, t('check_in'));
    button.addEventListener('click', () => this.checkIn(h, Number(people.value) || 0, button));
    return el('li', { class: 'hotspot', dataset: { id: h.id } },
      el('div', {}, el('strong', {}, h.name), ' ', el('span', { class: 'badge' }, t('kind_' + h.kind)),
        h.pending ? el('span', { class: 'badge pending' }, t('pending_review')) : ''),
      el('div', { class: 'muted' }, h.d === null ? '' : `${Math.round(h.d)} m`, h.d !== null && h.d > 300 ? ` · ${t('too_far')}` : ''),
      el('div', { class: 'row' }, el('label', {}, t('people_found')), people, button),
    );
  }

  /** Propose a hotspot where the officer stands; answers whether the server took it. */
  async propose({ name, kind, note }) {
    if (this.position.lat === null) {
      this.toast(t('no_location'), true);
      return false;
    }
    const body = {
      id: uuid(),
      name,
      kind,
      note,
      location: { lat: this.position.lat, lon: this.position.lon, accuracy_m: this.position.accuracy ?? undefined },
    };
    try {
      await this.api.post('/api/v1/hotspots/proposals', body);
      this.toast(t('proposed'));
      await this.render();
      return true;
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
      return false;
    }
  }

  async checkIn(hotspot, peopleFound, button) {
    if (this.position.lat === null) {
      this.toast(t('no_location'), true);
      return;
    }
    button.disabled = true;
    const checkin = {
      id: uuid(),
      at: new Date().toISOString(),
      location: { lat: this.position.lat, lon: this.position.lon, accuracy_m: this.position.accuracy ?? undefined },
      people_found: peopleFound,
    };
    try {
      await this.outbox.addCheckin(hotspot.id, checkin);
      const answers = await this.outbox.flush();
      this.toast(answers.has(checkin.id) ? t('checked_in', { name: hotspot.name }) : t('saved_offline'));
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    } finally {
      button.disabled = false;
    }
  }
}

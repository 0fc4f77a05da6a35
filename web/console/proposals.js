// Places patrols proposed as new hotspots (新点位), for supervisors to decide: listed, and on the
// map with approve and reject in each marker's popup. Approval makes the hotspot at once.

import { L } from '/assets/map.js';
import { el } from '/assets/api.js';
import { localTime, t } from '/assets/i18n.js';

export class Proposals {
  constructor(api, root, layer, toast, onDecided) {
    this.api = api;
    this.root = root;
    this.layer = layer;
    this.toast = toast;
    this.onDecided = onDecided;
    this.list = el('ol', { class: 'proposals', id: 'proposal-list' });
    root.replaceChildren(el('h2', {}, t('proposals')), this.list);
    root.classList.remove('hidden');
    document.addEventListener('xunjiu:lang', () => {
      root.querySelector('h2').textContent = t('proposals');
      this.paint();
    });
  }

  async refresh() {
    try {
      ({ proposals: this.proposals } = await this.api.get('/api/v1/hotspots/proposals?status=pending'));
    } catch (err) {
      this.list.replaceChildren(el('li', { class: 'error' }, t('error', { message: err.message })));
      return;
    }
    this.paint();
  }

  paint() {
    const items = this.proposals ?? [];
    this.layer.clearLayers();
    if (!items.length) {
      this.list.replaceChildren(el('li', { class: 'muted' }, t('no_proposals')));
      return;
    }
    this.list.replaceChildren(...items.map((p) => el('li', { dataset: { id: p.id } }, this.card(p))));
    for (const p of items) {
      L.circleMarker([p.lat, p.lon], { radius: 8, color: '#7a3fb0', weight: 3, dashArray: '3 3', fillOpacity: 0.2 })
        .bindPopup(() => this.card(p))
        .addTo(this.layer);
    }
  }

  card(p) {
    const reason = el('input', { name: 'reason', placeholder: t('reason'), 'aria-label': t('reason'), maxlength: 500 });
    return el('div', { class: 'proposal' },
      el('strong', {}, p.name), ' ', el('span', { class: 'badge' }, t('kind_' + p.kind)),
      el('div', { class: 'muted' }, `${p.county ?? ''} · ${t('proposed_by', { who: p.proposed_by })} · ${localTime(p.proposed_at)}`),
      p.note ? el('div', {}, p.note) : '',
      el('div', { class: 'row' },
        el('button', { type: 'button', dataset: { approve: p.id }, onclick: () => this.decide(p, 'approve', {}) }, t('approve')),
        reason,
        el('button', { type: 'button', class: 'secondary', dataset: { reject: p.id },
          onclick: () => this.decide(p, 'reject', { reason: reason.value }) }, t('reject')),
      ),
    );
  }

  async decide(p, decision, body) {
    try {
      await this.api.post(`/api/v1/hotspots/proposals/${p.id}/${decision}`, body);
      this.toast(t(decision === 'approve' ? 'approved' : 'rejected'));
      this.layer.closePopup?.();
      await this.refresh();
      this.onDecided();
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }
}

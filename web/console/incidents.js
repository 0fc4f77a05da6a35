// Incidents (冻饿死伤, 走失): a form to report one at once, and the list in the reader's scope,
// with an acknowledge button for supervisors. The server pushes each to the supervisors and
// pushes it again while nobody acknowledges it.

import { el, uuid } from '/assets/api.js';
import { localTime, t } from '/assets/i18n.js';

const KINDS = ['death', 'serious_injury', 'missing_from_care', 'violence', 'other'];

export class Incidents {
  constructor(api, root, user, stations, toast) {
    this.api = api;
    this.root = root;
    this.user = user;
    this.stations = stations;
    this.toast = toast;
    this.id = uuid();
    this.list = el('ol', { class: 'incidents', id: 'incident-list' });
    this.details = el('details', { class: 'incident-form' });
    this.renderForm();
    root.replaceChildren(el('h2', {}, t('incidents')), this.details, this.list);
    document.addEventListener('xunjiu:lang', () => {
      root.querySelector('h2').textContent = t('incidents');
      this.renderForm();
      this.paint();
    });
  }

  pick({ lat, lng }) {
    if (!this.details.open) return false;
    this.form.elements.lat.value = lat.toFixed(6);
    this.form.elements.lon.value = lng.toFixed(6);
    return true;
  }

  /** Start the form from a referral: its place, its station, its id. */
  prefill(referral) {
    this.details.open = true;
    const f = this.form.elements;
    f.lat.value = referral.location.lat.toFixed(6);
    f.lon.value = referral.location.lon.toFixed(6);
    f.station.value = referral.station.code;
    f.referral_id.value = referral.id;
    this.details.scrollIntoView({ block: 'nearest' });
  }

  renderForm() {
    const field = (name, label, attrs = {}) =>
      el('label', {}, el('span', {}, label), el('input', { name, 'aria-label': label, ...attrs }));
    const now = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 16);
    this.form = el('form', { class: 'desk-form', id: 'incident' },
      el('label', {}, el('span', {}, t('incident_kind')),
        el('select', { name: 'kind', 'aria-label': t('incident_kind') }, KINDS.map((k) => el('option', { value: k }, t('ik_' + k))))),
      field('occurred_at', t('occurred_at'), { type: 'datetime-local', value: now, required: true }),
      el('label', {}, el('span', {}, t('station')),
        el('select', { name: 'station', 'aria-label': t('station') },
          this.stations.map((s) => el('option', { value: s.code, selected: s.code === this.user.station }, s.name)))),
      el('p', { class: 'muted small' }, t('pick_on_map')),
      el('div', { class: 'pair' },
        field('lat', t('lat'), { required: true, inputmode: 'decimal' }),
        field('lon', t('lon'), { required: true, inputmode: 'decimal' })),
      field('referral_id', t('referral_id'), { pattern: '[0-9a-fA-F-]{36}' }),
      el('label', {}, el('span', {}, t('incident_description')),
        el('textarea', { name: 'description', rows: 3, maxlength: 4000, required: true, 'aria-label': t('incident_description') })),
      el('button', { type: 'submit', class: 'danger' }, t('report_incident')),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.details.replaceChildren(el('summary', {}, t('incident_form')), this.form);
  }

  async submit() {
    const f = this.form.elements;
    // The picker shows Tai'an's wall clock whatever the desk's own zone is.
    const occurred = new Date(`${f.occurred_at.value}:00+08:00`);
    const body = {
      id: this.id,
      kind: f.kind.value,
      occurred_at: occurred.toISOString(),
      location: { lat: Number(f.lat.value), lon: Number(f.lon.value) },
      station: f.station.value,
      referral_id: f.referral_id.value.trim() || undefined,
      description: f.description.value,
    };
    try {
      await this.api.post('/api/v1/incidents', body);
      this.id = uuid();
      this.toast(t('incident_sent'));
      this.details.open = false;
      this.renderForm();
      await this.refresh();
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }

  async refresh() {
    try {
      ({ incidents: this.incidents } = await this.api.get('/api/v1/incidents?limit=50'));
    } catch (err) {
      this.list.replaceChildren(el('li', { class: 'error' }, t('error', { message: err.message })));
      return;
    }
    this.paint();
  }

  paint() {
    const items = this.incidents ?? [];
    if (!items.length) {
      this.list.replaceChildren(el('li', { class: 'muted' }, t('no_incidents')));
      return;
    }
    const supervisor = this.user.role === 'supervisor';
    this.list.replaceChildren(...items.map((i) => el('li', {
      class: `incident ${i.acknowledged_at ? 'acknowledged' : 'open'}`,
      dataset: { id: i.id, kind: i.kind },
    },
      el('div', { class: 'line' },
        el('span', { class: 'badge urgent' }, t('ik_' + i.kind)),
        el('time', { datetime: i.occurred_at }, localTime(i.occurred_at)),
        ` · ${this.stations.find((s) => s.code === i.station)?.name ?? i.station} · ${i.county ?? ''}`,
      ),
      i.description ? el('div', {}, i.description) : '',
      el('div', { class: 'muted' },
        i.acknowledged_at
          ? t('acknowledged_by', { who: i.acknowledged_by })
          : `${t('unacknowledged')}${i.repushed_at ? ` · ${t('repushed')}` : ''}`,
        i.referral_id ? [' · ', el('a', { href: `#/referrals/${i.referral_id}` }, i.referral_id.slice(0, 8))] : '',
      ),
      supervisor && !i.acknowledged_at
        ? el('button', { type: 'button', dataset: { acknowledge: i.id }, onclick: () => this.acknowledge(i.id) }, t('acknowledge'))
        : '',
    )));
  }

  async acknowledge(id) {
    try {
      await this.api.post(`/api/v1/incidents/${id}/acknowledge`, {});
      await this.refresh();
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }
}

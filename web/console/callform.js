// 来电登记: a duty officer records a call to the station or someone at its door. The station
// answers for it from the first event (首接责任制); the server routes it and may hand it to a
// nearer station, and the answer's possible duplicates are shown with the new referral.

import { el, uuid } from '/assets/api.js';
import { t } from '/assets/i18n.js';

const CHANNELS = ['station_phone', 'walk_in'];
const CATEGORIES = ['elderly', 'minor', 'mental_disorder', 'disabled', 'ill_or_injured'];

export class CallForm {
  constructor(api, root, toast, onCreated) {
    this.api = api;
    this.root = root;
    this.toast = toast;
    this.onCreated = onCreated;
    this.id = uuid();
    this.render();
    document.addEventListener('xunjiu:lang', () => this.render());
  }

  /** A place picked on the map, taken while the form is open. */
  pick({ lat, lng }) {
    if (!this.root.open) return false;
    this.form.elements.lat.value = lat.toFixed(6);
    this.form.elements.lon.value = lng.toFixed(6);
    return true;
  }

  render() {
    const field = (name, label, attrs = {}) =>
      el('label', {}, el('span', {}, label), el('input', { name, 'aria-label': label, ...attrs }));
    this.form = el('form', { class: 'desk-form', id: 'call' },
      el('label', {}, el('span', {}, t('channel')),
        el('select', { name: 'channel', 'aria-label': t('channel') },
          CHANNELS.map((c) => el('option', { value: c }, t('channel_' + c))))),
      el('p', { class: 'muted small' }, t('pick_on_map')),
      el('div', { class: 'pair' },
        field('lat', t('lat'), { required: true, inputmode: 'decimal', pattern: '-?[0-9]+(\\.[0-9]+)?' }),
        field('lon', t('lon'), { required: true, inputmode: 'decimal', pattern: '-?[0-9]+(\\.[0-9]+)?' })),
      field('address', t('address'), { maxlength: 200 }),
      field('people', t('people'), { type: 'number', min: 1, max: 50, value: 1, required: true }),
      el('fieldset', { class: 'checks' }, el('legend', {}, t('categories')),
        CATEGORIES.map((c) => el('label', {}, el('input', { type: 'checkbox', name: 'category', value: c }), t('cat_' + c)))),
      field('caller_phone', t('caller_phone'), { type: 'tel', maxlength: 20 }),
      el('label', {}, el('span', {}, t('description')),
        el('textarea', { name: 'description', rows: 2, maxlength: 4000, 'aria-label': t('description') })),
      el('button', { type: 'submit' }, t('record_call')),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.root.replaceChildren(el('summary', {}, t('call_form')), this.form);
  }

  async submit() {
    const f = this.form.elements;
    const body = {
      id: this.id,
      channel: f.channel.value,
      reported_at: new Date().toISOString(),
      location: { lat: Number(f.lat.value), lon: Number(f.lon.value) },
      address_text: f.address.value.trim() || undefined,
      people_count: Number(f.people.value) || 1,
      categories: [...this.form.querySelectorAll('[name=category]:checked')].map((c) => c.value),
      caller_phone: f.caller_phone.value.trim() || undefined,
      description: f.description.value.trim() || undefined,
    };
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      // The id stays until the server has answered, so a retry after a lost answer is the same
      // referral, not a second one.
      const referral = await this.api.post('/api/v1/referrals', body);
      this.id = uuid();
      this.form.reset();
      this.toast(t('recorded', { station: referral.station.name }));
      this.onCreated(referral);
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    } finally {
      button.disabled = false;
    }
  }
}

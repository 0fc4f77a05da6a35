// One referral: what is known, what happened, and a button for each step the server says this
// officer may take now (its `allowed_actions`), so the console never offers an illegal step.

import { el } from '/assets/api.js';
import { localTime, t } from '/assets/i18n.js';
import { personBox } from './people.js';

const OUTCOMES = [
  'admitted_to_station',
  'escorted_home',
  'medical_transfer',
  'handed_to_police',
  'declined_help',
  'not_found',
  'died',
  'other',
];

export class ReferralPanel {
  constructor(api, root, stations, toast) {
    this.api = api;
    this.root = root;
    this.stations = stations;
    this.toast = toast;
    this.id = null;
    this.onChange = () => {};
    document.addEventListener('xunjiu:lang', () => this.referral && this.render(this.referral));
  }

  async show(id) {
    this.id = id;
    await this.refresh();
  }

  async refresh() {
    if (!this.id) return;
    const id = this.id;
    try {
      const referral = await this.api.get(`/api/v1/referrals/${id}`);
      if (id === this.id) this.render(referral);
    } catch (err) {
      if (id === this.id) this.root.replaceChildren(el('p', { class: 'error' }, t('error', { message: err.message })));
    }
  }

  stationName(code) {
    return this.stations.find((s) => s.code === code)?.name ?? code;
  }

  render(r) {
    this.referral = r;
    const rows = [
      ['priority', el('span', { class: `badge ${r.priority}` }, t(r.priority))],
      ['status', t('status_' + r.status) + (r.pending_transfer_to ? ` · ${t('pending_transfer', { station: this.stationName(r.pending_transfer_to) })}` : '')],
      ['channel', t('channel_' + r.channel) + (r.external_ref ? ` · ${r.external_ref}` : '')],
      ['reported_at', localTime(r.reported_at)],
      ['address', r.address_text || '—'],
      ['location', `${r.location.lat.toFixed(5)}, ${r.location.lon.toFixed(5)} · ${r.area?.name ?? ''}`],
      ['people', String(r.people_count)],
      ['categories', r.categories.map((c) => t('cat_' + c)).join('、') || '—'],
      ['holding', this.stationName(r.station.code)],
      ['accountable', this.stationName(r.accountable_station)],
      ['accept_by', localTime(r.accept_by)],
      ['on_scene_by', localTime(r.on_scene_by)],
    ];
    if (r.caller_phone) rows.push(['caller_phone', el('a', { href: `tel:${r.caller_phone}` }, r.caller_phone)]);
    if (r.description) rows.push(['description', r.description]);
    if (r.outcome) rows.push(['outcome', t('outcome_' + r.outcome)]);
    const notified = el('span', { class: 'notified' }, '…');
    rows.push(['notified', notified]);
    this.showNotified(r.id, notified);
    if (r.kind === 'handover') rows.unshift(['kind', el('span', { class: 'badge handover' }, t('kind_handover'))]);
    if (r.case_of) {
      rows.push(['case_member', el('span', {},
        el('a', { href: `#/referrals/${r.case_of}` }, r.case_of.slice(0, 8)), ' ',
        el('button', { type: 'button', class: 'secondary', dataset: { action: 'unlink' }, onclick: () => this.act('unlink', {}) }, t('unlink')))]);
    }

    this.root.replaceChildren(
      el('dl', { class: 'facts', dataset: { id: r.id, status: r.status } },
        rows.flatMap(([key, value]) => [el('dt', {}, t(key)), el('dd', { dataset: { field: key } }, value)]),
      ),
      el('div', { class: 'actions' }, this.actions(r),
        el('button', { type: 'button', class: 'secondary', dataset: { incident: r.id }, onclick: () => this.onIncident?.(r) }, t('incident_form'))),
      this.duplicates(r),
      personBox(this.api, r, this.toast, (id) => this.onPersonLinked?.(id)),
      el('h3', {}, t('timeline')),
      el('ol', { class: 'timeline' },
        (r.events ?? []).map((e) =>
          el('li', { dataset: { kind: e.kind } },
            el('time', { datetime: e.at }, localTime(e.at)),
            ' ',
            el('strong', {}, eventLabel(e)),
            e.actor ? ` · ${e.actor}` : '',
            e.station ? ` · ${this.stationName(e.station)}` : '',
            e.note ? el('div', { class: 'muted' }, e.note) : '',
          ),
        ),
      ),
    );
  }

  actions(r) {
    const allowed = r.allowed_actions ?? [];
    if (!allowed.length) return [el('p', { class: 'muted' }, t('no_actions'))];
    return allowed.map((action) => {
      switch (action) {
        case 'resolve':
          return this.form(action, [
            select('outcome', OUTCOMES.map((o) => [o, t('outcome_' + o)])),
            input('note', t('note')),
          ], (f) => ({ outcome: f.outcome.value, note: f.note.value || undefined }));
        case 'transfer':
          return this.form(action, [
            select('to_station', this.stations
              .filter((s) => s.code !== r.accountable_station)
              .map((s) => [s.code, s.name])),
            input('reason', t('reason'), true),
          ], (f) => ({ to_station: f.to_station.value, reason: f.reason.value }));
        case 'refuse-transfer':
          return this.form(action, [input('reason', t('reason'), true)], (f) => ({ reason: f.reason.value }));
        default:
          return el('button', { type: 'button', dataset: { action }, onclick: () => this.act(action, {}) }, t('act_' + action));
      }
    });
  }

  /** Whether the station's robots and phones were reached: "钉钉 ✓ 短信 ✗", web push counted. */
  async showNotified(id, into) {
    try {
      const { deliveries, web_push: push } = await this.api.get(`/api/v1/referrals/${id}/notifications`);
      const mark = { delivered: '✓', failed: '✗', pending: '…' };
      const parts = deliveries.map((d) =>
        el('span', { class: `delivery ${d.status}`, title: d.attempts.at(-1)?.code ?? '', dataset: { kind: d.kind, status: d.status } },
          `${t('via_' + d.kind)} ${mark[d.status]}`));
      if (push.delivered + push.failed + push.pending > 0) {
        parts.push(el('span', { class: 'delivery', dataset: { kind: 'web_push' } }, `${t('via_web_push')} ${push.delivered}/${push.delivered + push.failed + push.pending}`));
      }
      into.replaceChildren(...(parts.length ? parts.flatMap((p, i) => (i ? [' ', p] : [p])) : [t('notified_none')]));
    } catch {
      into.replaceChildren('—');
    }
  }

  /** Open referrals near this one in place and time, each with a button that makes it a member
   * of this one's case (the server answers for the rule: who may link, and to which primary). */
  duplicates(r) {
    const list = r.possible_duplicates ?? [];
    return el('section', { class: 'duplicates' },
      el('h3', {}, t('duplicates')),
      list.length
        ? el('ul', {}, list.map((d) => el('li', { dataset: { id: d.id } },
          el('a', { href: `#/referrals/${d.id}` }, d.id.slice(0, 8)),
          ` · ${t('channel_' + d.channel)} · ${this.stationName(d.station)} · `,
          t('apart', { m: Math.round(d.distance_m), min: Math.round(d.apart_s / 60) }), ' ',
          el('button', { type: 'button', class: 'secondary', dataset: { link: d.id }, onclick: () => this.link(d.id) }, t('link_to')),
        )))
        : el('p', { class: 'muted' }, t('no_duplicates')),
    );
  }

  async link(other) {
    const id = this.id;
    try {
      await this.api.post(`/api/v1/referrals/${other}/link`, { to: id });
      this.toast(t('done', { what: t('link_to') }));
      await this.refresh();
      this.onChange(id);
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }

  form(action, fields, body) {
    const form = el('form', { class: 'step', dataset: { action } }, fields, el('button', { type: 'submit' }, t('act_' + action)));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.act(action, body(form.elements));
    });
    return form;
  }

  async act(action, body) {
    const id = this.id;
    for (const b of this.root.querySelectorAll('button')) b.disabled = true;
    try {
      const referral = await this.api.post(`/api/v1/referrals/${id}/${action}`, body);
      this.toast(t('done', { what: t(action === 'unlink' ? 'unlink' : 'act_' + action) }));
      if (id === this.id) this.render(referral);
      this.onChange(id);
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
      await this.refresh();
    }
  }
}

function eventLabel(e) {
  const key = { accepted: 'act_accept', en_route: 'act_en-route', on_scene: 'act_on-scene', resolved: 'act_resolve', closed: 'act_close', transferred: 'act_transfer', transfer_refused: 'act_refuse-transfer' }[e.kind];
  if (key) return t(key);
  return ['created', 'routed', 'escalated', 'link', 'linked', 'unlink', 'unlinked', 'redacted'].includes(e.kind) ? t('ev_' + e.kind) : e.kind;
}

function select(name, options) {
  return el('select', { name, 'aria-label': t(name) }, options.map(([value, text]) => el('option', { value }, text)));
}

function input(name, placeholder, required = false) {
  return el('input', { name, placeholder, required, 'aria-label': placeholder, maxlength: 2000 });
}

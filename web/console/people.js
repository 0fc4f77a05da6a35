// People (源头治理): the revisits due, a person's page (record, reports on a small map, register
// status and its form, revisits, tracing steps), and the box on a referral that links it to a
// person, found by name or ID tail or made new. What each reader sees is the server's scope.

import { el, uuid } from '/assets/api.js';
import { localTime, t } from '/assets/i18n.js';
import { L, createMap, outlinesLayer } from '/assets/map.js';

const OUTCOMES = ['at_home', 'moved', 'wandering_again', 'not_found', 'died'];
const STEPS = ['notice_published', 'dna_sampled', 'face_search', 'media_search', 'identity_found', 'closed'];

const day = (iso) => (iso ? localTime(iso).slice(0, 5) : '');

export class PeoplePanel {
  constructor(api, root, user, toast) {
    this.api = api;
    this.root = root;
    this.user = user;
    this.toast = toast;
    this.due = el('ol', { class: 'due', id: 'due-revisits' });
    this.page = el('div', { id: 'person' });
    root.replaceChildren(
      el('h2', {}, t('people_panel')),
      el('h3', {}, t('revisits_due')),
      this.due,
      user.role === 'liaison' || user.role === 'supervisor'
        ? el('button', { type: 'button', class: 'secondary', onclick: () => this.api.download('/api/v1/register.csv', 'register.csv') }, t('download_roster'))
        : '',
      this.page,
    );
  }

  async refreshDue() {
    // A month ahead: what to plan as well as what is late.
    const ahead = new Date(Date.now() + 90 * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
    try {
      const { revisits } = await this.api.get(`/api/v1/revisits/due?before=${ahead}`);
      this.due.replaceChildren(...(revisits.length
        ? revisits.map((r) => el('li', { class: r.overdue ? 'overdue' : '', dataset: { person: r.person_id } },
          el('a', { href: `#/people/${r.person_id}` }, r.name || r.person_id.slice(0, 8)),
          ` · ${r.township ?? ''} · ${t('due_on', { day: day(r.due_at) })}`,
          r.overdue ? el('strong', { class: 'error' }, ` · ${t('overdue')}`) : ''))
        : [el('li', { class: 'muted' }, t('no_revisits_due'))]));
    } catch (err) {
      this.due.replaceChildren(el('li', { class: 'error' }, t('error', { message: err.message })));
    }
  }

  async show(id) {
    try {
      this.person = await this.api.get(`/api/v1/people/${id}`);
    } catch (err) {
      this.page.replaceChildren(el('p', { class: 'error' }, t('error', { message: err.message })));
      return;
    }
    const p = this.person;
    const rows = [
      ['name', p.name ?? '—'],
      ['alias', p.alias ?? '—'],
      ['sex', t('sex_' + p.sex)],
      ['age', p.birth_year ? String(p.birth_year) : p.age_estimate ? `~${p.age_estimate}` : '—'],
      ['id_number', p.id_number ?? '—'],
      ['home_address', p.home_address ?? '—'],
      ['description', p.description ?? '—'],
    ];
    const open = (p.register ?? []).find((e) => !e.ended_at);
    this.page.replaceChildren(
      el('h3', { dataset: { id: p.id } }, p.name || p.id.slice(0, 8), ' ',
        p.repeat ? el('span', { class: 'badge urgent' }, t('repeat')) : '',
        p.registered ? el('span', { class: 'badge registered' }, t('registered')) : '',
        p.identified ? el('span', { class: 'badge' }, t('identified')) : ''),
      el('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [el('dt', {}, t('p_' + k)), el('dd', { dataset: { field: k } }, v)])),
      el('div', { class: 'person-map', id: 'person-map' }),
      el('ol', { class: 'timeline' }, (p.reports ?? []).map((r) =>
        el('li', { dataset: { kind: r.kind } }, el('time', {}, localTime(r.at)), ` ${t('report_' + r.kind)} · ${r.station}`,
          r.kind === 'referral' ? [' · ', el('a', { href: `#/referrals/${r.id}` }, r.id.slice(0, 8))] : ''))),
      el('h3', {}, t('register')),
      open
        ? el('p', { id: 'register-state' }, `${open.township}${open.village ?? ''} · ${open.reason} · ${t('due_on', { day: day(open.next_revisit_due) })}`)
        : this.registerForm(p),
      el('h3', {}, t('revisits')),
      el('ol', {}, (p.revisits ?? []).map((v) => el('li', {}, `${localTime(v.at)} · ${t('rv_' + v.outcome)} · ${v.recorded_by}`))),
      this.user.role === 'liaison' || this.user.role === 'duty' ? this.revisitForm(p) : '',
      el('h3', {}, t('tracing')),
      el('ol', {}, (p.tracing ?? []).map((s) => el('li', {}, `${localTime(s.at)} · ${t('ts_' + s.step)}`))),
      this.user.role === 'duty' || this.user.role === 'supervisor' ? this.tracingForm(p) : '',
    );
    this.drawMap(p);
    this.page.scrollIntoView({ block: 'nearest' });
  }

  async drawMap(p) {
    const box = this.page.querySelector('#person-map');
    const map = await createMap(box, this.api);
    (await outlinesLayer(this.api)).addTo(map);
    const points = (p.reports ?? []).map((r) => [r.lat, r.lon]);
    for (const [lat, lon] of points) L.circleMarker([lat, lon], { radius: 5, color: '#c0262d' }).addTo(map);
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 14 });
  }

  registerForm(p) {
    if (!['duty', 'supervisor'].includes(this.user.role)) return el('p', { class: 'muted' }, t('not_registered'));
    const township = el('select', { name: 'township_code', 'aria-label': t('township') });
    this.api.get('/api/v1/townships').then(({ townships }) =>
      township.replaceChildren(...townships.map((x) => el('option', { value: x.code }, `${x.name} ${x.code}`))));
    const form = el('form', { class: 'desk-form', id: 'register-form' },
      el('label', {}, el('span', {}, t('township')), township),
      el('label', {}, el('span', {}, t('village')), el('input', { name: 'village', maxlength: 200 })),
      el('label', {}, el('span', {}, t('reason')), el('input', { name: 'reason', required: true, maxlength: 500 })),
      el('button', { type: 'submit' }, t('register_person')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = form.elements;
      this.post(`/api/v1/people/${p.id}/register`, { township_code: f.township_code.value, reason: f.reason.value, village: f.village.value || undefined }, p.id);
    });
    return form;
  }

  revisitForm(p) {
    const form = el('form', { class: 'desk-form', id: 'revisit-form' },
      el('select', { name: 'outcome', 'aria-label': t('outcome') }, OUTCOMES.map((o) => el('option', { value: o }, t('rv_' + o)))),
      el('input', { name: 'note', placeholder: t('note'), maxlength: 2000 }),
      el('button', { type: 'submit' }, t('record_revisit')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = form.elements;
      this.post(`/api/v1/people/${p.id}/revisits`, { id: uuid(), at: new Date().toISOString(), outcome: f.outcome.value, note: f.note.value || undefined }, p.id);
    });
    return form;
  }

  tracingForm(p) {
    const form = el('form', { class: 'desk-form', id: 'tracing-form' },
      el('select', { name: 'step', 'aria-label': t('tracing') }, STEPS.map((s) => el('option', { value: s }, t('ts_' + s)))),
      el('input', { name: 'note', placeholder: t('note'), maxlength: 2000 }),
      el('button', { type: 'submit' }, t('record_step')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = form.elements;
      this.post(`/api/v1/people/${p.id}/tracing`, { id: uuid(), step: f.step.value, at: new Date().toISOString(), note: f.note.value || undefined }, p.id);
    });
    return form;
  }

  async post(path, body, person) {
    try {
      await this.api.post(path, body);
      this.toast(t('saved'));
      await Promise.all([this.show(person), this.refreshDue()]);
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }
}

/** The box on a referral: its person, or a search and a "new person" form to link one. */
export function personBox(api, referral, toast, onLinked) {
  if (referral.person_id) {
    return el('section', { class: 'person-box' }, el('h3', {}, t('person')),
      el('a', { href: `#/people/${referral.person_id}`, id: 'referral-person' }, t('open_person')));
  }
  const results = el('ul', { class: 'person-results' });
  const link = async (personId) => {
    try {
      const answer = await api.post(`/api/v1/referrals/${referral.id}/person`, { person_id: personId });
      toast(answer.registered ? t('linked_registered') : answer.repeat ? t('linked_repeat') : t('linked'));
      onLinked(personId);
    } catch (err) {
      toast(t('error', { message: err.message }), true);
    }
  };
  const search = el('form', { class: 'row', id: 'person-search' },
    el('input', { name: 'q', placeholder: t('person_search'), 'aria-label': t('person_search') }),
    el('button', { type: 'submit', class: 'secondary' }, t('search')));
  search.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = search.elements.q.value.trim();
    const { people } = await api.get(`/api/v1/people?q=${encodeURIComponent(q)}&limit=10`);
    results.replaceChildren(...people.map((p) => el('li', {}, `${p.name ?? '—'} ${p.id_number ?? ''} `,
      p.repeat ? el('span', { class: 'badge urgent' }, t('repeat')) : '',
      el('button', { type: 'button', class: 'secondary', onclick: () => link(p.id) }, t('link_person')))));
  });
  const create = el('form', { class: 'row', id: 'person-new' },
    el('input', { name: 'name', placeholder: t('p_name'), 'aria-label': t('p_name'), maxlength: 200 }),
    el('select', { name: 'sex', 'aria-label': t('p_sex') }, ['male', 'female', 'unknown'].map((s) => el('option', { value: s }, t('sex_' + s)))),
    el('button', { type: 'submit' }, t('new_person')));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const made = await api.post('/api/v1/people', { id: uuid(), name: create.elements.name.value || undefined, sex: create.elements.sex.value });
      await link(made.id);
    } catch (err) {
      toast(t('error', { message: err.message }), true);
    }
  });
  return el('section', { class: 'person-box' }, el('h3', {}, t('person')), search, results, create);
}

// A station's queue, kept current by the server's event stream: every committed change to a
// referral of the station makes the queue be read again, so nobody has to reload. It comes in
// pages of PAGE; "更多" reads the next, and a refresh reads as many as are shown.

const PAGE = 50;

import { duration, t } from '/assets/i18n.js';
import { el } from '/assets/api.js';

export class Queue {
  constructor(api, list, empty, liveState, onOpen) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.liveState = liveState;
    this.onOpen = onOpen;
    this.onChange = () => {};
    this.entries = [];
    this.pages = 1;
    this.nextCursor = null;
    this.selected = null;
    this.fetchedAt = performance.now();
    setInterval(() => this.tick(), 1000);
    document.addEventListener('xunjiu:lang', () => this.render());
  }

  follow(station) {
    this.station = station;
    this.stream?.abort();
    this.stream = new AbortController();
    this.pages = 1;
    this.listen(station, this.stream.signal);
    this.refresh();
  }

  select(id) {
    this.selected = id;
    this.render();
  }

  async refresh() {
    if (!this.station) return;
    const station = this.station;
    try {
      const queue = await this.api.get(`/api/v1/stations/${encodeURIComponent(station)}/queue?limit=${PAGE * this.pages}`);
      if (station !== this.station) return;
      this.entries = queue.entries;
      this.nextCursor = queue.next_cursor ?? null;
      this.fetchedAt = performance.now();
      this.render();
    } catch (err) {
      if (err.status === 401) location.reload();
    }
  }

  /** The next page, after what is shown. */
  async more() {
    if (!this.nextCursor) return;
    const station = this.station;
    const queue = await this.api.get(
      `/api/v1/stations/${encodeURIComponent(station)}/queue?limit=${PAGE}&cursor=${encodeURIComponent(this.nextCursor)}`,
    );
    if (station !== this.station) return;
    this.pages += 1;
    const seen = new Set(this.entries.map((e) => e.referral.id));
    this.entries = this.entries.concat(queue.entries.filter((e) => !seen.has(e.referral.id)));
    this.nextCursor = queue.next_cursor ?? null;
    this.render();
  }

  /** Read the event stream with fetch, since EventSource cannot send the bearer token. */
  async listen(station, signal) {
    while (!signal.aborted) {
      try {
        const response = await this.api.fetch(
          `/api/v1/stations/${encodeURIComponent(station)}/queue/events`,
          { headers: this.api.headers({ Accept: 'text/event-stream' }), signal },
        );
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err.status === 401) return location.reload();
      }
      this.setLive(false);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  dispatch(block) {
    const fields = Object.fromEntries(
      block
        .split('\n')
        .filter((line) => line && !line.startsWith(':'))
        .map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon), line.slice(colon + 1).trimStart()];
        }),
    );
    if (fields.event === 'ready') {
      this.setLive(true);
      this.refresh();
    } else if (fields.event === 'changed') {
      this.refresh();
      this.onChange(JSON.parse(fields.data ?? '{}').referral_id ?? null);
    } else if (fields.event === 'resync') {
      this.refresh();
      this.onChange(null);
    }
  }

  setLive(on) {
    this.liveState.textContent = on ? `● ${t('live')}` : t('reconnecting');
    this.liveState.classList.toggle('off', !on);
  }

  secondsLeft(entry) {
    if (entry.seconds_left === null || entry.seconds_left === undefined) return null;
    return entry.seconds_left - (performance.now() - this.fetchedAt) / 1000;
  }

  tick() {
    for (const row of this.list.children) {
      const entry = this.entries.find((e) => e.referral.id === row.dataset.id);
      const clock = row.querySelector('.clock');
      if (entry && clock) this.paintClock(clock, row, entry);
    }
  }

  paintClock(clock, row, entry) {
    const left = this.secondsLeft(entry);
    if (left === null) {
      clock.textContent = '';
      return;
    }
    const what = t(entry.deadline_kind === 'accept' ? 'deadline_accept' : 'deadline_on_scene');
    clock.textContent = `${what} · ${t(left < 0 ? 'overdue_by' : 'left', { time: duration(left) })}`;
    row.classList.toggle('overdue', left < 0);
  }

  render() {
    this.empty.classList.toggle('hidden', this.entries.length > 0);
    this.list.replaceChildren(
      ...this.entries.map((entry) => {
        const r = entry.referral;
        const row = el(
          'li',
          {
            class: `entry ${r.priority} ${r.id === this.selected ? 'selected' : ''}`,
            dataset: { id: r.id, status: r.status },
            tabindex: 0,
            onclick: () => this.onOpen(r.id),
            onkeydown: (e) => e.key === 'Enter' && this.onOpen(r.id),
          },
          el('div', { class: 'line' },
            el('span', { class: `badge ${r.priority}` }, t(r.priority)),
            el('span', { class: 'status' }, t('status_' + r.status)),
            el('span', { class: 'muted' }, t('channel_' + r.channel)),
          ),
          el('div', { class: 'address' }, r.address_text || `${r.area?.name ?? ''} ${r.location.lat.toFixed(4)}, ${r.location.lon.toFixed(4)}`),
          el('div', { class: 'line muted' },
            `${t('people')}: ${r.people_count}`,
            r.categories.length ? ` · ${r.categories.map((c) => t('cat_' + c)).join('、')}` : '',
          ),
          el('div', { class: 'clock' }),
        );
        this.paintClock(row.querySelector('.clock'), row, entry);
        return row;
      }),
      ...(this.nextCursor
        ? [el('li', { class: 'more' }, el('button', { type: 'button', class: 'secondary', id: 'queue-more', onclick: () => this.more() }, t('more')))]
        : []),
    );
  }
}

// Supervisors' reports: the accountability table (首接责任) and the stage report downloads.

import { el } from '/assets/api.js';
import { t } from '/assets/i18n.js';

const COLUMNS = [
  ['group', 'group_by'],
  ['received', 'received'],
  ['accepted', 'accepted'],
  ['on_time_pct', 'on_time'],
  ['median_minutes_to_accept', 'median_accept'],
  ['transfers_in', 'transfers_in'],
  ['transfers_out', 'transfers_out'],
  ['escalations', 'escalations'],
  ['open_now', 'open_now'],
  ['overdue_now', 'overdue_now'],
];

export class Reports {
  constructor(api, panel, campaign) {
    this.api = api;
    this.panel = panel;
    this.campaign = campaign;
    this.groupBy = panel.querySelector('#group-by');
    this.table = panel.querySelector('#accountability');
  }

  start() {
    this.panel.classList.remove('hidden');
    this.groupBy.addEventListener('change', () => this.refresh());
    this.panel.querySelector('#accountability-csv').addEventListener('click', () =>
      this.api.download(`/api/v1/accountability.csv?group_by=${this.groupBy.value}`, `accountability-${this.groupBy.value}.csv`));
    for (const format of ['xlsx', 'csv']) {
      this.panel.querySelector(`#stage-${format}`).addEventListener('click', () => {
        const campaign = this.campaign();
        this.api.download(`/api/v1/reports/campaign?campaign=${encodeURIComponent(campaign)}&format=${format}`, `stage-report-${campaign}.${format}`);
      });
    }
    document.addEventListener('xunjiu:lang', () => this.render());
    return this.refresh();
  }

  async refresh() {
    this.report = await this.api.get(`/api/v1/accountability?group_by=${this.groupBy.value}`);
    this.render();
  }

  render() {
    if (!this.report) return;
    this.table.replaceChildren(
      el('thead', {}, el('tr', {}, COLUMNS.map(([, label]) => el('th', {}, t(label))))),
      el('tbody', {}, this.report.rows.map((row) =>
        el('tr', {}, COLUMNS.map(([field]) => el('td', {}, format(row[field])))))),
    );
  }
}

function format(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(1);
  return String(value);
}

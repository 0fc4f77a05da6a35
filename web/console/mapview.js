// The console map: county outlines, stations, hotspots by kind, open referrals, the heat-map of
// a chosen campaign, and which hotspots an alert's patrols have visited.

import {
  KIND_COLOURS, L, createMap, heatColour, hotspotMarker, legend, outlinesLayer, stationsLayer, textLines,
} from '/assets/map.js';
import { t } from '/assets/i18n.js';

const OPEN = new Set(['routed', 'accepted', 'en_route', 'on_scene']);

export class MapView {
  constructor(api, element, campaignPicker, coverageSummary, onOpen) {
    this.api = api;
    this.element = element;
    this.campaignPicker = campaignPicker;
    this.coverageSummary = coverageSummary;
    this.onOpen = onOpen;
  }

  async start() {
    this.map = await createMap(this.element, this.api);
    // Heat cells lie under every marker, however often they are redrawn.
    this.map.createPane('heat').style.zIndex = 350;
    this.layers = {
      outlines: await outlinesLayer(this.api),
      stations: await stationsLayer(this.api),
      hotspots: L.layerGroup(),
      referrals: L.layerGroup(),
      heat: L.layerGroup(),
      coverage: L.layerGroup(),
      proposals: L.layerGroup(),
      station_edit: L.layerGroup(),
    };
    for (const name of ['heat', 'outlines', 'hotspots', 'referrals', 'stations', 'proposals']) this.layers[name].addTo(this.map);
    this.addLayerControl();
    this.map.fitBounds(this.layers.outlines.getBounds());
    // A click on the map gives a place to whichever form is open (a call, an incident).
    this.pickers = [];
    this.map.on('click', (e) => this.pickers.some((pick) => pick(e.latlng)));
    this.legend = legend(this.map);
    document.addEventListener('xunjiu:lang', () => {
      this.addLayerControl();
      this.paintLegend(this.max ?? 1);
    });

    await this.fillCampaigns();
    this.campaignPicker.addEventListener('change', () => this.refreshHeat());
    this.map.on('zoomend', () => this.refreshHeat());
    await Promise.all([this.refreshHotspots(), this.refreshReferrals(), this.refreshHeat(), this.refreshCoverage()]);
    this.element.dataset.ready = 'true';
  }

  addLayerControl() {
    this.control?.remove();
    this.control = L.control.layers(null, {}, { collapsed: false }).addTo(this.map);
    for (const [name, layer] of Object.entries(this.layers)) this.control.addOverlay(layer, t('layer_' + name));
  }

  async fillCampaigns() {
    const year = new Date().getFullYear();
    const lists = await Promise.all([year - 1, year].map((y) => this.api.get(`/api/v1/campaigns?year=${y}`)));
    const byId = new Map(lists.flatMap((l) => l.campaigns).map((c) => [c.id, c]));
    const campaigns = [...byId.values()].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
    const now = Date.now();
    this.campaignPicker.replaceChildren(
      ...[...campaigns].reverse().map((c) => Object.assign(document.createElement('option'), { value: c.id, textContent: `${c.name} ${c.id}` })),
    );
    const running = campaigns.find((c) => Date.parse(c.starts_at) <= now && now < Date.parse(c.ends_at));
    const started = campaigns.filter((c) => Date.parse(c.starts_at) <= now).pop();
    this.campaignPicker.value = (running ?? started ?? campaigns[0])?.id ?? '';
  }

  async refreshHotspots() {
    const { hotspots } = await this.api.get('/api/v1/hotspots?active=true');
    this.layers.hotspots.clearLayers();
    for (const h of hotspots) this.layers.hotspots.addLayer(hotspotMarker(h));
  }

  async refreshReferrals() {
    if (!this.layers) return;
    const collection = await this.api.get('/api/v1/referrals.geojson?limit=1000').catch(() => null);
    if (!collection) return;
    this.layers.referrals.clearLayers();
    for (const f of collection.features.filter((f) => OPEN.has(f.properties.status))) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      L.circleMarker([lat, lon], {
        radius: p.priority === 'urgent' ? 5 : 4,
        color: p.priority === 'urgent' ? '#c0262d' : '#0b5cad',
        weight: 2,
        fillColor: '#fff',
        fillOpacity: 1,
      })
        .bindTooltip(textLines(`${t(p.priority)} · ${t('status_' + p.status)}`))
        .on('click', () => this.onOpen(p.id))
        .addTo(this.layers.referrals);
    }
  }

  async refreshHeat() {
    const campaign = this.campaignPicker.value;
    if (!campaign) return;
    const heat = await this.api.get(`/api/v1/heatmap?campaign=${encodeURIComponent(campaign)}&cell_m=${cellSize(this.map.getZoom())}`);
    const max = Math.max(1, ...heat.features.map((f) => f.properties.people));
    this.layers.heat.clearLayers();
    L.geoJSON(heat, {
      pane: 'heat',
      style: (f) => ({
        color: '#800026',
        weight: 0.5,
        fillColor: heatColour(f.properties.people / max),
        fillOpacity: 0.7,
      }),
      onEachFeature: (f, layer) => layer.bindTooltip(textLines(`${t('heat_legend')}: ${f.properties.people}`)),
    }).addTo(this.layers.heat);
    this.element.dataset.heatCells = String(heat.features.length);
    this.element.dataset.heatCellM = String(heat.cell_width_m ?? '');
    this.max = max;
    this.paintLegend(max);
  }

  paintLegend(max) {
    const kinds = Object.entries(KIND_COLOURS)
      .map(([kind, colour]) => `<div><i style="background:${colour};border-radius:50%"></i>${t('kind_' + kind)}</div>`)
      .join('');
    const shades = [0, 0.2, 0.4, 0.6, 0.8]
      .map((s) => `<i style="background:${heatColour(s)}"></i>`)
      .join('');
    const coverage = [['#1f7a3a', 'visited'], ['#e07b00', 'not_visited']]
      .map(([colour, key]) => `<div><i style="background:${colour};border-radius:50%"></i>${t(key)}</div>`)
      .join('');
    this.legend.div.innerHTML = `<strong>${t('layer_hotspots')}</strong>${kinds}<strong>${t('heat_legend')}</strong><div>${shades} 1–${max}</div><strong>${t('layer_coverage')}</strong>${coverage}`;
  }

  async refreshCoverage() {
    const { alerts } = await this.api.get('/api/v1/alerts?active=true');
    this.layers.coverage.clearLayers();
    if (!alerts.length) {
      this.coverageSummary.textContent = t('coverage_none');
      return;
    }
    const coverage = await this.api.get(`/api/v1/alerts/${alerts[0].id}/coverage`);
    for (const h of coverage.hotspots) {
      hotspotMarker(h.hotspot, h.visited ? '#1f7a3a' : '#e07b00')
        .bindTooltip(textLines(`${h.hotspot.name} · ${t(h.visited ? 'visited' : 'not_visited')}`))
        .addTo(this.layers.coverage);
    }
    this.layers.coverage.addTo(this.map);
    this.coverageSummary.textContent = t('coverage_summary', {
      alert: alerts[0].kind,
      visited: coverage.visited,
      total: coverage.total,
    });
  }
}

/** Cells a few pixels wide at any zoom: about 5 km city-wide, 250 m in a street view. */
function cellSize(zoom) {
  if (zoom <= 9) return 5000;
  if (zoom <= 10) return 2500;
  if (zoom <= 12) return 1000;
  return 250;
}

// Correcting places (city supervisors): drag a station's pin, see which recent reports would then
// go to another station (the server's reroute preview), give the source, save; drag a hotspot's
// pin and save. The map's CRS makes a dragged point WGS84 whatever datum the base map is in.

import { el } from '/assets/api.js';
import { t } from '/assets/i18n.js';
import { L } from '/assets/map.js';

export class StationEditor {
  constructor(api, map, layer, toast, onSaved) {
    this.api = api;
    this.map = map;
    this.layer = layer;
    this.toast = toast;
    this.onSaved = onSaved;
  }

  async refresh() {
    const { stations } = await this.api.get('/api/v1/stations');
    this.layer.clearLayers();
    for (const s of stations) {
      // Stations above hotspots: a station's pin is what one grabs where both stand.
      const pin = L.marker([s.lat, s.lon], { draggable: true, title: s.name, alt: s.code, zIndexOffset: 1000 });
      pin.on('dragend', () => this.preview(s, pin));
      pin.addTo(this.layer);
    }
    const { hotspots } = await this.api.get('/api/v1/hotspots?active=true');
    for (const h of hotspots) {
      const pin = L.marker([h.lat, h.lon], { draggable: true, title: h.name, alt: h.id, opacity: 0.6 });
      pin.on('dragend', () => this.moveHotspot(h, pin));
      pin.addTo(this.layer);
    }
  }

  moveHotspot(hotspot, pin) {
    const { lat, lng } = pin.getLatLng();
    const box = el('div', { id: 'hotspot-move' },
      el('strong', {}, hotspot.name),
      el('div', { class: 'row' },
        el('button', { type: 'button', id: 'save-hotspot', onclick: () => this.saveHotspot(hotspot, lat, lng) }, t('save_position')),
        el('button', { type: 'button', class: 'secondary', onclick: () => this.refresh() }, t('cancel'))),
    );
    pin.bindPopup(box).openPopup();
  }

  async saveHotspot(hotspot, lat, lon) {
    try {
      await this.api.request('PATCH', `/api/v1/hotspots/${hotspot.id}`, { location: { lat, lon } });
      this.toast(t('position_saved', { name: hotspot.name }));
      this.map.closePopup();
      await this.refresh();
      this.onSaved();
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }

  async preview(station, pin) {
    const { lat, lng } = pin.getLatLng();
    let preview;
    try {
      preview = await this.api.get(`/api/v1/stations/${station.code}/reroute-preview?lat=${lat}&lon=${lng}&days=90`);
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
      return;
    }
    const moves = preview.moves.map((m) => `${m.from} → ${m.to}: ${m.referrals} / ${m.sightings}`).join('; ');
    const source = el('input', { name: 'source', placeholder: t('correction_source'), 'aria-label': t('correction_source'), maxlength: 200 });
    const box = el('div', { id: 'reroute-preview', dataset: { referrals: preview.referrals, sightings: preview.sightings } },
      el('strong', {}, station.name),
      el('div', {}, t('reroute_summary', { referrals: preview.referrals, sightings: preview.sightings, days: preview.days })),
      moves ? el('div', { class: 'muted' }, moves) : '',
      source,
      el('div', { class: 'row' },
        el('button', { type: 'button', id: 'save-station', onclick: () => this.save(station, lat, lng, source.value) }, t('save_position')),
        el('button', { type: 'button', class: 'secondary', onclick: () => this.refresh() }, t('cancel'))),
    );
    pin.bindPopup(box, { minWidth: 240 }).openPopup();
  }

  async save(station, lat, lon, source) {
    try {
      await this.api.request('PATCH', `/api/v1/stations/${station.code}`, { location: { lat, lon }, source });
      this.toast(t('position_saved', { name: station.name }));
      this.map.closePopup();
      await this.refresh();
      this.onSaved();
    } catch (err) {
      this.toast(t('error', { message: err.message }), true);
    }
  }
}

// Leaflet maps that need nothing but this server: county outlines and stations come from our
// own API, and a base map is drawn under them only when XUNJIU_TILE_URL names one.

import { t } from './i18n.js';
import { fromGcj02, toGcj02 } from './crs.js';

const L = window.L;

export const TAIAN = [36.05, 117.1];

export const KIND_COLOURS = {
  bridge_culvert: '#1f77b4',
  underpass: '#9467bd',
  heat_pipeline: '#d62728',
  abandoned_building: '#8c564b',
  railway_station: '#ff7f0e',
  bus_station: '#bcbd22',
  park: '#2ca02c',
  other: '#7f7f7f',
};

/**
 * Web Mercator over GCJ-02: our layers stay in WGS84 and are drawn where GCJ-02 tiles (Amap,
 * Tencent) show the place; a point picked on the map comes back in WGS84.
 */
const GCJ02_MERCATOR = L.extend({}, L.CRS.EPSG3857, {
  projection: {
    project: (latlng) => L.Projection.SphericalMercator.project(L.latLng(toGcj02(latlng))),
    unproject: (point) => L.latLng(fromGcj02(L.Projection.SphericalMercator.unproject(point))),
    bounds: L.Projection.SphericalMercator.bounds,
  },
});

/** A map in `element`, with the configured base tiles if any. */
export async function createMap(element, api, options = {}) {
  let config = { tile_url: null, tile_attribution: '', tile_crs: 'wgs84' };
  try {
    config = await api.get('/api/v1/web-config');
  } catch {
    // Offline: outlines only.
  }
  const crs = config.tile_url && config.tile_crs === 'gcj02' ? GCJ02_MERCATOR : L.CRS.EPSG3857;
  element.dataset.tileCrs = crs === GCJ02_MERCATOR ? 'gcj02' : 'wgs84';
  const map = L.map(element, { zoomControl: true, crs, ...options }).setView(TAIAN, 9);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 18 }).addTo(map);
  } else {
    element.classList.add('no-base-map');
  }
  return map;
}

/**
 * Tooltip and popup content as text, one line each: names and notes people typed never become
 * HTML (Leaflet reads a string as markup).
 */
export function textLines(...lines) {
  const div = document.createElement('div');
  lines.forEach((line, i) => {
    if (i) div.append(document.createElement('br'));
    div.append(String(line ?? ''));
  });
  return div;
}

export async function outlinesLayer(api) {
  const areas = await api.get('/api/v1/areas.geojson');
  return L.geoJSON(areas, {
    style: { color: '#234', weight: 1.5, fill: false },
    onEachFeature: (f, layer) => layer.bindTooltip(textLines(f.properties?.name)),
  });
}

export async function stationsLayer(api) {
  const stations = await api.get('/api/v1/stations.geojson');
  return L.geoJSON(stations, {
    pointToLayer: (f, latlng) =>
      L.circleMarker(latlng, {
        radius: 8,
        color: '#fff',
        weight: 2,
        fillColor: '#c00',
        fillOpacity: 1,
      }).bindTooltip(textLines(f.properties.name, f.properties.phone)),
  });
}

export function hotspotMarker(hotspot, colour) {
  return L.circleMarker([hotspot.lat, hotspot.lon], {
    radius: 5,
    color: '#333',
    weight: 1,
    fillColor: colour ?? KIND_COLOURS[hotspot.kind] ?? '#777',
    fillOpacity: 0.9,
  }).bindTooltip(textLines(`${hotspot.name} · ${t('kind_' + hotspot.kind)}`));
}

/** A small legend box in a corner of the map. */
export function legend(map, position = 'bottomright') {
  const control = L.control({ position });
  control.onAdd = () => {
    const div = L.DomUtil.create('div', 'map-legend');
    control.div = div;
    return div;
  };
  control.addTo(map);
  return control;
}

/** Shades from pale yellow to dark red by share of the largest count. */
export function heatColour(share) {
  const stops = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
  return stops[Math.min(stops.length - 1, Math.floor(share * stops.length))];
}

export { L };

// GCJ-02, the datum of Amap and Tencent tiles: the published forward formula and an iterative
// inverse, the same as the server's (server/src/routing/crs.rs). Outside China it is WGS84.

const A = 6378245.0;
const EE = 0.006693421622965943;

function outOfChina(lat, lon) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function offsetLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS84 → GCJ-02, `{lat, lng}` as Leaflet has them. */
export function toGcj02({ lat, lng }) {
  if (outOfChina(lat, lng)) return { lat, lng };
  const rad = (lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (offsetLat(lng - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (offsetLon(lng - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(rad) * Math.PI);
  return { lat: lat + dLat, lng: lng + dLon };
}

/** GCJ-02 → WGS84 by fixed-point iteration. */
export function fromGcj02({ lat, lng }) {
  if (outOfChina(lat, lng)) return { lat, lng };
  let x = { lat, lng };
  for (let i = 0; i < 30; i++) {
    const f = toGcj02(x);
    const e = { lat: f.lat - lat, lng: f.lng - lng };
    x = { lat: x.lat - e.lat, lng: x.lng - e.lng };
    if (Math.abs(e.lat) < 1e-12 && Math.abs(e.lng) < 1e-12) break;
  }
  return x;
}

//! Chinese map coordinates. Amap, Tencent and most phone location SDKs in China give GCJ-02
//! (the "mars" datum of GB 20263, an obfuscating offset of WGS84, about 500 m at Tai'an); Baidu
//! gives BD-09 (a further offset of GCJ-02). Positions are taken in any of the three and stored
//! in WGS84. The forward transforms are the published formulas; the inverses are found by
//! fixed-point iteration to well under a millimetre. Outside China GCJ-02 equals WGS84, the rule
//! every implementation follows, and so does the conversion here.

use std::f64::consts::PI;

pub use mobile_api::Crs;

/// A `crs` given as text (a query parameter): the three names, else none.
pub fn parse(text: &str) -> Option<Crs> {
    match text {
        "wgs84" => Some(Crs::Wgs84),
        "gcj02" => Some(Crs::Gcj02),
        "bd09" => Some(Crs::Bd09),
        _ => None,
    }
}

/// A position as sent in GCJ-02 or BD-09, kept for audit beside the WGS84 point stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Original {
    pub crs: Crs,
    pub lat: f64,
    pub lon: f64,
}

impl Original {
    pub fn of(lat: f64, lon: f64, crs: Option<Crs>) -> Option<Self> {
        match crs {
            Some(crs @ (Crs::Gcj02 | Crs::Bd09)) => Some(Original { crs, lat, lon }),
            _ => None,
        }
    }

    pub fn crs_name(&self) -> &'static str {
        match self.crs {
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
            Crs::Wgs84 | Crs::Unknown => "wgs84",
        }
    }
}

/// Keep what a record's position was sent as (`record_kind` as in `position_originals`).
pub async fn keep(
    conn: &mut sqlx::PgConnection,
    record_kind: &str,
    record_id: uuid::Uuid,
    original: Option<Original>,
    at: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<()> {
    let Some(o) = original else { return Ok(()) };
    super::db::insert_original(conn, record_kind, record_id, o.crs_name(), o.lat, o.lon, at)
        .await?;
    Ok(())
}

/// Krasovsky 1940, as the GCJ-02 formulas use it.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// The bounding box outside which GCJ-02 is WGS84.
pub fn out_of_china(lat: f64, lon: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02, `(lat, lon)`.
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if out_of_china(lat, lon) {
        return (lat, lon);
    }
    let d_lat = offset_lat(lon - 105.0, lat - 35.0);
    let d_lon = offset_lon(lon - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (lat + d_lat, lon + d_lon)
}

/// GCJ-02 → BD-09, `(lat, lon)`.
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// Invert `forward` near `(lat, lon)` by fixed-point iteration: the offset changes slowly, so
/// each step subtracts the residual and the error shrinks by orders of magnitude.
fn invert(lat: f64, lon: f64, forward: impl Fn(f64, f64) -> (f64, f64)) -> (f64, f64) {
    let (mut x_lat, mut x_lon) = (lat, lon);
    for _ in 0..30 {
        let (f_lat, f_lon) = forward(x_lat, x_lon);
        let (e_lat, e_lon) = (f_lat - lat, f_lon - lon);
        x_lat -= e_lat;
        x_lon -= e_lon;
        if e_lat.abs() < 1e-12 && e_lon.abs() < 1e-12 {
            break;
        }
    }
    (x_lat, x_lon)
}

/// GCJ-02 → WGS84, `(lat, lon)`.
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    if out_of_china(lat, lon) {
        return (lat, lon);
    }
    invert(lat, lon, wgs84_to_gcj02)
}

/// BD-09 → GCJ-02, `(lat, lon)`.
pub fn bd09_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    invert(lat, lon, gcj02_to_bd09)
}

/// A position given in `crs`, in WGS84.
pub fn to_wgs84(crs: Crs, lat: f64, lon: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 | Crs::Unknown => (lat, lon),
        Crs::Gcj02 => gcj02_to_wgs84(lat, lon),
        Crs::Bd09 => {
            let (g_lat, g_lon) = bd09_to_gcj02(lat, lon);
            gcj02_to_wgs84(g_lat, g_lon)
        }
    }
}

/// A WGS84 position in `crs` (what a base map in that datum draws).
pub fn from_wgs84(crs: Crs, lat: f64, lon: f64) -> (f64, f64) {
    match crs {
        Crs::Wgs84 | Crs::Unknown => (lat, lon),
        Crs::Gcj02 => wgs84_to_gcj02(lat, lon),
        Crs::Bd09 => {
            let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
            gcj02_to_bd09(g_lat, g_lon)
        }
    }
}

#[cfg(test)]
mod tests {
    use geo::{Distance, Geodesic, Point};
    use rand::{Rng, SeedableRng};

    use super::*;

    fn metres((a_lat, a_lon): (f64, f64), (b_lat, b_lon): (f64, f64)) -> f64 {
        Geodesic.distance(Point::new(a_lon, a_lat), Point::new(b_lon, b_lat))
    }

    /// Published pairs: `googollee/eviltransform`'s and `wandergis/coordtransform`'s tests
    /// (WGS84 → GCJ-02), and `hujiulong/gcoord`'s and coordtransform's (GCJ-02 → BD-09; its
    /// BD-09 → GCJ-02 is the usual closed-form approximation, within a few centimetres).
    #[test]
    fn the_published_sample_pairs_are_reproduced() {
        for ((w_lat, w_lon), (g_lat, g_lon)) in [
            (
                (31.1774276, 121.5272106),
                (31.17530398364597, 121.531541859215),
            ),
            (
                (22.543847, 113.912316),
                (22.540796131694766, 113.9171764808363),
            ),
            (
                (39.911954, 116.377817),
                (39.91334545536069, 116.38404722455657),
            ),
            ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
        ] {
            let (lat, lon) = wgs84_to_gcj02(w_lat, w_lon);
            assert!(
                (lat - g_lat).abs() < 1e-9 && (lon - g_lon).abs() < 1e-9,
                "{lat} {lon}"
            );
            assert!(metres(gcj02_to_wgs84(g_lat, g_lon), (w_lat, w_lon)) < 0.01);
        }
        let (b_lat, b_lon) = gcj02_to_bd09(45.0, 123.0);
        assert!((b_lat - 45.00636899).abs() < 1e-6 && (b_lon - 123.00636499).abs() < 1e-6);
        let (b_lat, b_lon) = gcj02_to_bd09(39.915, 116.404);
        assert!(
            (b_lat - 39.92133699351021).abs() < 1e-9 && (b_lon - 116.41036949371029).abs() < 1e-9
        );
        let back = bd09_to_gcj02(39.915, 116.404);
        assert!(
            metres(back, (39.90865673957631, 116.39762729119315)) < 0.1,
            "{back:?}"
        );
        assert_eq!(
            to_wgs84(Crs::Gcj02, 48.8566, 2.3522),
            (48.8566, 2.3522),
            "Paris is out of China"
        );
    }

    #[test]
    fn forward_then_inverse_returns_within_half_a_metre_over_the_city() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..5_000 {
            let p = (rng.random_range(35.3..36.5), rng.random_range(116.3..118.0));
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let (lat, lon) = from_wgs84(crs, p.0, p.1);
                let back = to_wgs84(crs, lat, lon);
                assert!(metres(back, p) < 0.5, "{crs:?} {p:?}");
            }
        }
        // And the offset at Tai'an is the few hundred metres the issue describes.
        let shifted = wgs84_to_gcj02(36.2, 117.1);
        assert!((300.0..800.0).contains(&metres(shifted, (36.2, 117.1))));
    }
}

//! `GET /api/v1/heatmap.png`: a picture a supervisor can paste into a report, drawn in Rust
//! with no tile server: county outlines, stations, hotspots, shaded cells, legend, title.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, PremultipliedColorU8, Stroke, Transform};

use super::{Cell, MapQuery, MapSpec, aggregate, cells};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::ApiQuery;
use crate::plumbing::state::AppState;
use crate::rules::local_day;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PictureQuery {
    /// Pixels, 320 to 4096 (default 1200).
    #[param(value_type = Option<u32>)]
    width: Option<String>,
    /// Pixels, 240 to 4096 (default 900).
    #[param(value_type = Option<u32>)]
    height: Option<String>,
}

/// What goes on the picture, gathered before drawing.
struct Scene {
    outlines: Vec<Vec<Vec<[f64; 2]>>>,
    stations: Vec<[f64; 2]>,
    hotspots: Vec<[f64; 2]>,
    cells: Vec<Cell>,
    title: String,
    subtitle: String,
}

/// The heat-map as a PNG of the requested size.
#[utoipa::path(get, path = "/api/v1/heatmap.png", tag = "maps", security(("bearer" = [])), params(MapQuery, PictureQuery),
    responses((status = 200, description = "PNG image", content_type = "image/png"),
              (status = 400, description = "invalid_size and the heat-map's codes", body = mobile_api::ErrorBody),
              (status = 422, description = "window_too_short", body = mobile_api::ErrorBody)))]
pub async fn heatmap_png(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(query): ApiQuery<MapQuery>,
    ApiQuery(size): ApiQuery<PictureQuery>,
) -> Result<Response> {
    let dim = |v: Option<&str>, default: u32, min: u32| -> Result<u32> {
        match v.filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(t) => t
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=4096).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_size",
                        "width is 320 to 4096 and height 240 to 4096 pixels",
                    )
                }),
        }
    };
    let (width, height) = (
        dim(size.width.as_deref(), 1200, 320)?,
        dim(size.height.as_deref(), 900, 240)?,
    );
    let spec = MapSpec::for_reader(&query, state.clock.now(), &user)?;
    let scene = gather(&state, &spec).await?;
    let png = tokio::task::spawn_blocking(move || draw(&scene, width, height))
        .await
        .map_err(anyhow::Error::new)??;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        png,
    )
        .into_response())
}

async fn gather(state: &AppState, spec: &MapSpec) -> Result<Scene> {
    let outlines = super::db::outlines(state.reads()).await?;
    let outlines = outlines
        .iter()
        .filter_map(|g| {
            serde_json::from_value::<Vec<Vec<Vec<[f64; 2]>>>>(g["coordinates"].clone()).ok()
        })
        .flatten()
        .collect();
    let hotspots = super::db::active_hotspots(state.reads()).await?;
    let cells = aggregate(state, spec).await?;
    let total: i64 = cells.iter().map(|c| c.reports).sum();
    let period = match &spec.campaign {
        Some(id) => id.clone(),
        None => format!(
            "{} to {}",
            local_day::local_date(spec.from).format("%Y-%m-%d"),
            local_day::local_date(spec.to).format("%Y-%m-%d")
        ),
    };
    Ok(Scene {
        outlines,
        stations: state
            .directory()
            .stations()
            .iter()
            .map(|s| [s.station.lon, s.station.lat])
            .collect(),
        hotspots: hotspots.into_iter().map(|(x, y)| [x, y]).collect(),
        title: format!(
            "Tai'an street patrol heat-map: {} ({period})",
            spec.layer.name()
        ),
        subtitle: format!(
            "{total} reports in H3 cells of about {:.0} m; dates in Asia/Shanghai",
            cells::width_m(spec.resolution)
        ),
        cells,
    })
}

/// Light yellow to red, by the cell's share of the busiest cell (log scale).
fn shade(count: i64, max: i64) -> (u8, u8, u8) {
    let t = if max <= 1 {
        1.0
    } else {
        ((count as f64).ln_1p() / (max as f64).ln_1p()).clamp(0.0, 1.0)
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    (lerp(255.0, 189.0), lerp(225.0, 0.0), lerp(120.0, 38.0))
}

fn draw(scene: &Scene, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let mut pixmap =
        Pixmap::new(width, height).ok_or_else(|| anyhow::anyhow!("bad picture size"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let font = FontRef::try_from_slice(dejavu::sans::regular())?;
    let (w, h) = (width as f32, height as f32);
    let top = 70.0_f32.min(h * 0.15);
    let legend_w = 170.0_f32.min(w * 0.25);

    // Fit the county outlines into the map area, with longitude shrunk by cos(latitude).
    let points = scene.outlines.iter().flatten().flatten();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for [x, y] in points {
        (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (116.0, 35.5, 118.1, 36.5);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let (area_w, area_h) = (f64::from(w - legend_w - 30.0), f64::from(h - top - 20.0));
    let scale = (area_w / ((x1 - x0) * k)).min(area_h / (y1 - y0));
    let project = |[lon, lat]: [f64; 2]| -> (f32, f32) {
        (
            20.0 + ((lon - x0) * k * scale) as f32,
            top + ((y1 - lat) * scale) as f32,
        )
    };
    let polygon = |ring: &[[f64; 2]]| -> Option<tiny_skia::Path> {
        let mut pb = PathBuilder::new();
        for (i, p) in ring.iter().enumerate() {
            let (x, y) = project(*p);
            if i == 0 {
                pb.move_to(x, y)
            } else {
                pb.line_to(x, y)
            }
        }
        pb.close();
        pb.finish()
    };
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };

    let max = scene.cells.iter().map(|c| c.reports).max().unwrap_or(1);
    for c in &scene.cells {
        let (r, g, b) = shade(c.reports, max);
        paint.set_color_rgba8(r, g, b, 215);
        if let Some(path) = polygon(&cells::ring(c.cell)) {
            pixmap.fill_path(
                &path,
                &paint,
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }
    paint.set_color_rgba8(70, 70, 70, 255);
    let outline = Stroke {
        width: 1.4,
        ..Stroke::default()
    };
    for polygon_rings in &scene.outlines {
        for ring in polygon_rings {
            if let Some(path) = polygon(ring) {
                pixmap.stroke_path(&path, &paint, &outline, Transform::identity(), None);
            }
        }
    }
    for p in &scene.hotspots {
        let (x, y) = project(*p);
        hotspot_marker(&mut pixmap, x, y);
    }
    for p in &scene.stations {
        let (x, y) = project(*p);
        station_marker(&mut pixmap, x, y);
    }

    text(
        &mut pixmap,
        &font,
        &scene.title,
        20.0,
        30.0,
        22.0,
        (0, 0, 0),
    );
    text(
        &mut pixmap,
        &font,
        &scene.subtitle,
        20.0,
        54.0,
        14.0,
        (70, 70, 70),
    );
    let lx = w - legend_w;
    let mut ly = top + 10.0;
    text(
        &mut pixmap,
        &font,
        "reports per cell",
        lx,
        ly,
        14.0,
        (0, 0, 0),
    );
    ly += 12.0;
    let steps: Vec<i64> = {
        let mut s: Vec<i64> = (0..5)
            .map(|i| ((max as f64).powf(f64::from(i) / 4.0)).round() as i64)
            .collect();
        s.dedup();
        s
    };
    for v in steps {
        let (r, g, b) = shade(v, max);
        paint.set_color_rgba8(r, g, b, 215);
        if let Some(rect) = tiny_skia::Rect::from_xywh(lx, ly, 22.0, 16.0) {
            pixmap.fill_rect(rect, &paint, Transform::identity(), None);
        }
        text(
            &mut pixmap,
            &font,
            &v.to_string(),
            lx + 30.0,
            ly + 13.0,
            13.0,
            (0, 0, 0),
        );
        ly += 22.0;
    }
    ly += 10.0;
    station_marker(&mut pixmap, lx + 11.0, ly + 8.0);
    text(
        &mut pixmap,
        &font,
        "rescue station",
        lx + 30.0,
        ly + 13.0,
        13.0,
        (0, 0, 0),
    );
    ly += 22.0;
    hotspot_marker(&mut pixmap, lx + 11.0, ly + 8.0);
    text(
        &mut pixmap,
        &font,
        "hotspot",
        lx + 30.0,
        ly + 13.0,
        13.0,
        (0, 0, 0),
    );
    ly += 22.0;
    let mut pb = PathBuilder::new();
    pb.move_to(lx, ly + 8.0);
    pb.line_to(lx + 22.0, ly + 8.0);
    if let Some(line) = pb.finish() {
        paint.set_color_rgba8(70, 70, 70, 255);
        pixmap.stroke_path(&line, &paint, &outline, Transform::identity(), None);
    }
    text(
        &mut pixmap,
        &font,
        "county boundary",
        lx + 30.0,
        ly + 13.0,
        13.0,
        (0, 0, 0),
    );
    Ok(pixmap.encode_png()?)
}

/// A rescue station: a black ring on white.
fn station_marker(pixmap: &mut Pixmap, x: f32, y: f32) {
    let Some(circle) = PathBuilder::from_circle(x, y, 6.0) else {
        return;
    };
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    paint.set_color_rgba8(255, 255, 255, 255);
    pixmap.fill_path(
        &circle,
        &paint,
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    paint.set_color_rgba8(0, 0, 0, 255);
    let ring = Stroke {
        width: 2.5,
        ..Stroke::default()
    };
    pixmap.stroke_path(&circle, &paint, &ring, Transform::identity(), None);
}

/// A hotspot: a small blue square.
fn hotspot_marker(pixmap: &mut Pixmap, x: f32, y: f32) {
    let Some(rect) = tiny_skia::Rect::from_xywh(x - 3.0, y - 3.0, 6.0, 6.0) else {
        return;
    };
    let mut paint = Paint::default();
    paint.set_color_rgba8(30, 100, 200, 255);
    pixmap.fill_rect(rect, &paint, Transform::identity(), None);
}

/// Draw `s` with its baseline at `(x, y)`, blending glyph coverage over what is there.
fn text(
    pixmap: &mut Pixmap,
    font: &FontRef<'_>,
    s: &str,
    x: f32,
    y: f32,
    size: f32,
    (r, g, b): (u8, u8, u8),
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let mut caret = x;
    for ch in s.chars() {
        let id = font.glyph_id(ch);
        let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, y));
        caret += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        let pixels = pixmap.pixels_mut();
        outlined.draw(|gx, gy, coverage| {
            let (px, py) = (
                bounds.min.x as i32 + gx as i32,
                bounds.min.y as i32 + gy as i32,
            );
            if px < 0 || py < 0 || px >= pw || py >= ph {
                return;
            }
            let i = (py * pw + px) as usize;
            let under = pixels[i];
            let mix = |fg: u8, bg: u8| {
                (f32::from(fg) * coverage + f32::from(bg) * (1.0 - coverage)).round() as u8
            };
            if let Some(c) = PremultipliedColorU8::from_rgba(
                mix(r, under.red()),
                mix(g, under.green()),
                mix(b, under.blue()),
                255,
            ) {
                pixels[i] = c;
            }
        });
    }
}

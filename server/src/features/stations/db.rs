//! Station-directory queries that bypass the in-memory directory.

use sqlx::PgExecutor;

/// The six areas as a FeatureCollection, encoded by PostGIS (the polygons only pass through).
pub async fn areas_geojson(db: impl PgExecutor<'_>) -> sqlx::Result<serde_json::Value> {
    sqlx::query_scalar(
        "select json_build_object(
             'type', 'FeatureCollection',
             'features', coalesce(json_agg(json_build_object(
                 'type', 'Feature',
                 'geometry', st_asgeojson(boundary, 6)::json,
                 'properties', json_build_object('code', code, 'name', name, 'station_code', station_code)
             ) order by code), '[]'::json))
         from areas",
    )
    .fetch_one(db)
    .await
}

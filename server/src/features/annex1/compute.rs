//! The cells the product computes, from the records up to the end of the filing date (local
//! time). Counties count what happened in the county; the city station (`city`) is the city-level
//! station, 泰安市救助管理站, whose people are already counted in its two districts' rows.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The city-level station.
pub const CITY_STATION: &str = "taian";

/// A filing unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    County { code: String, name: String },
    CityStation,
    Zone { code: String, name: String },
}

impl Unit {
    pub fn code(&self) -> &str {
        match self {
            Unit::County { code, .. } | Unit::Zone { code, .. } => code,
            Unit::CityStation => "city",
        }
    }

    pub fn name(&self) -> String {
        match self {
            Unit::County { name, .. } => format!("{name}民政局"),
            Unit::CityStation => "泰安市救助管理站".to_owned(),
            Unit::Zone { name, .. } => name.clone(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Unit::County { .. } => "county",
            Unit::CityStation => "city_station",
            Unit::Zone { .. } => "functional_zone",
        }
    }

    /// The county-level supervisors who file for it (none: the city's).
    pub fn county(&self) -> Option<&str> {
        match self {
            Unit::County { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Register a functional zone (`xunjiu units add`); its code (`fz1` …) is returned.
pub async fn add_functional_zone(db: &PgPool, name: &str) -> sqlx::Result<String> {
    sqlx::query_scalar(
        "insert into functional_zones (code, name, created_at)
         values ('fz' || nextval('functional_zones_seq'), $1, now()) returning code",
    )
    .bind(name)
    .fetch_one(db)
    .await
}

/// Every unit: the six counties, the city station, then the functional zones.
pub async fn units(db: &PgPool) -> sqlx::Result<Vec<Unit>> {
    let counties: Vec<(String, String)> =
        sqlx::query_as("select code, name from areas order by code")
            .fetch_all(db)
            .await?;
    let zones: Vec<(String, String)> =
        sqlx::query_as("select code, name from functional_zones order by code")
            .fetch_all(db)
            .await?;
    Ok(counties
        .into_iter()
        .map(|(code, name)| Unit::County { code, name })
        .chain(std::iter::once(Unit::CityStation))
        .chain(
            zones
                .into_iter()
                .map(|(code, name)| Unit::Zone { code, name }),
        )
        .collect())
}

async fn count(db: &PgPool, sql: &str, arg: &str, end: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(arg)
        .bind(end)
        .fetch_one(db)
        .await
}

/// People admitted more than ten days before `end` whose identity no step had found by then,
/// among referrals matching `who` (a condition on `r` over `$1`).
fn unidentified(who: &str) -> String {
    format!(
        "select count(distinct r.person_id) from referrals r
         where r.person_id is not null and r.outcome = 'admitted_to_station' and {who}
           and r.resolved_at <= $2 - interval '10 days'
           and not exists (select 1 from tracing_steps k where k.person_id = r.person_id
                           and k.step = 'identity_found' and k.at < $2)"
    )
}

fn identified(who: &str) -> String {
    format!(
        "select count(distinct k.person_id) from tracing_steps k
         join referrals r on r.person_id = k.person_id and {who}
         where k.step = 'identity_found' and k.at < $2"
    )
}

/// Whether a station's duty officers keep the ledger (`returns`) or the register
/// (`register_entries`): an entry made by one of them before `end`.
fn station_keeps(table: &str, by: &str, at: &str) -> String {
    format!(
        "select count(*) from (select 1 from {table} x join users u on u.id = x.{by}
         where u.station_code = $1 and x.{at} < $2 limit 1) kept"
    )
}

/// Townships of `$1` (a county, or `%` for all) with no liaison: none is the network's bottom level.
const TOWNSHIPS_WITHOUT_LIAISON: &str = "select count(*) from townships t
    where t.county_code like $1 and $2::timestamptz is not null
      and not exists (select 1 from users u where u.role = 'liaison' and u.township_code = t.code
                      and u.disabled_at is null)";

/// The computed cells of `unit` at `end`; a key absent is `missing` for that unit.
pub async fn system_cells(
    db: &PgPool,
    unit: &Unit,
    end: DateTime<Utc>,
) -> sqlx::Result<Vec<(&'static str, Value)>> {
    let by_county = "county_of(r.area_code, r.accountable_station) = $1";
    let mut cells = Vec::new();
    match unit {
        Unit::County { code, .. } => {
            cells.push((
                "unidentified_over_10_days",
                json!(count(db, &unidentified(by_county), code, end).await?),
            ));
            cells.push((
                "identified",
                json!(count(db, &identified(by_county), code, end).await?),
            ));
            cells.push(("counties_total", json!(1)));
            let patrolled = count(
                db,
                "select count(*) from (select 1 from sightings s join users u on u.id = s.reported_by
                 where county_of(s.area_code, s.station_code) = $1 and u.agency in ('police', 'urban_management')
                   and s.observed_at < $2 and s.observed_at >= $2 - interval '365 days' limit 1) p",
                code,
                end,
            )
            .await?;
            cells.push(("counties_with_street_patrol", json!(patrolled)));
            // The county's own station; 泰山区 and 岱岳区 are served by the city's.
            let station: Option<String> = sqlx::query_scalar(
                "select code from stations where county_code = $1 and code <> $2 limit 1",
            )
            .bind(code)
            .bind(CITY_STATION)
            .fetch_optional(db)
            .await?;
            let (ledger, register) = match &station {
                Some(s) => (
                    count(
                        db,
                        &station_keeps("returns", "created_by", "created_at"),
                        s,
                        end,
                    )
                    .await?,
                    count(
                        db,
                        &station_keeps("register_entries", "registered_by", "registered_at"),
                        s,
                        end,
                    )
                    .await?,
                ),
                None => (0, 0),
            };
            cells.push(("stations_with_return_ledger", json!(ledger)));
            cells.push(("stations_with_risk_register", json!(register)));
            let gaps = count(db, TOWNSHIPS_WITHOUT_LIAISON, code, end).await?;
            cells.push(("four_level_network", json!(i64::from(gaps == 0))));
        }
        Unit::CityStation => {
            let by_station = "r.accountable_station = $1";
            cells.push((
                "unidentified_over_10_days",
                json!(count(db, &unidentified(by_station), CITY_STATION, end).await?),
            ));
            cells.push((
                "identified",
                json!(count(db, &identified(by_station), CITY_STATION, end).await?),
            ));
            cells.push((
                "stations_with_return_ledger",
                json!(
                    count(
                        db,
                        &station_keeps("returns", "created_by", "created_at"),
                        CITY_STATION,
                        end
                    )
                    .await?
                ),
            ));
            cells.push((
                "stations_with_risk_register",
                json!(
                    count(
                        db,
                        &station_keeps("register_entries", "registered_by", "registered_at"),
                        CITY_STATION,
                        end
                    )
                    .await?
                ),
            ));
            let gaps = count(db, TOWNSHIPS_WITHOUT_LIAISON, "%", end).await?;
            cells.push(("four_level_network", json!(i64::from(gaps == 0))));
        }
        Unit::Zone { .. } => {}
    }
    Ok(cells)
}

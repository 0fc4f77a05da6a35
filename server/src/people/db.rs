//! Person queries. Every read carries the reader's scope in its `where` and masks the ID number
//! in the select for all but city supervisors. Parameters `$1`–`$4` of a read are always
//! [`Reader::bind`]'s: unmasked (bool), now, the scope's argument, the reader's id.

use chrono::{DateTime, Utc};
use mobile_api::Role;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgConnection, PgExecutor, Postgres};
use uuid::Uuid;

use crate::auth::CurrentUser;

/// Days back a report counts toward `repeat`.
pub const REPEAT_DAYS: i32 = 90;
/// Reports in that window that make a person a repeat case (反复流浪).
pub const REPEAT_REPORTS: i64 = 3;

/// Who reads, and so which people they see.
#[derive(Debug, Clone)]
pub struct Reader {
    pub scope: PersonScope,
    pub user: Uuid,
    pub unmasked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonScope {
    City,
    /// County supervisors: people reported in the county, or on its townships' register and
    /// ledger.
    County(String),
    /// Duty officers: people with a report the station holds or held.
    Station(String),
    /// Liaisons: people on the register or ledger of the township.
    Township(String),
    Nothing,
}

impl Reader {
    pub fn of(user: &CurrentUser) -> Self {
        let scope = match user.role {
            Role::Supervisor => match &user.county_code {
                Some(c) => PersonScope::County(c.clone()),
                None => PersonScope::City,
            },
            Role::Duty => user
                .station
                .clone()
                .map_or(PersonScope::Nothing, PersonScope::Station),
            Role::Liaison => user
                .township_code
                .clone()
                .map_or(PersonScope::Nothing, PersonScope::Township),
            Role::Patrol | Role::Hotline | Role::Admin => PersonScope::Nothing,
        };
        Reader {
            unmasked: scope == PersonScope::City,
            scope,
            user: user.id,
        }
    }

    fn arg(&self) -> Option<String> {
        match &self.scope {
            PersonScope::County(v) | PersonScope::Station(v) | PersonScope::Township(v) => {
                Some(v.clone())
            }
            PersonScope::City | PersonScope::Nothing => None,
        }
    }

    /// The condition on a person `p`: in scope, or created by the reader.
    pub fn condition(&self) -> String {
        let scoped = match &self.scope {
            PersonScope::City => "true",
            PersonScope::Nothing => "false",
            PersonScope::County(_) => {
                "(exists (select 1 from referrals r where r.person_id = p.id
                          and county_of(r.area_code, r.accountable_station) = $3)
                  or exists (select 1 from sightings s where s.person_id = p.id
                          and county_of(s.area_code, s.station_code) = $3)
                  or exists (select 1 from register_entries e join townships t on t.code = e.township_code
                          where e.person_id = p.id and t.county_code = $3)
                  or exists (select 1 from returns x left join townships t on t.code = x.township_code
                          where x.person_id = p.id and (t.county_code = $3 or x.destination_county_code = $3)))"
            }
            PersonScope::Station(_) => {
                "(exists (select 1 from referrals r where r.person_id = p.id
                          and (r.station_code = $3 or r.accountable_station = $3
                               or exists (select 1 from referral_events ev where ev.referral_id = r.id
                                          and (ev.station_code = $3 or ev.target_station = $3))))
                  or exists (select 1 from sightings s where s.person_id = p.id and s.station_code = $3))"
            }
            PersonScope::Township(_) => {
                "(exists (select 1 from register_entries e where e.person_id = p.id and e.township_code = $3)
                  or exists (select 1 from returns x where x.person_id = p.id and x.township_code = $3))"
            }
        };
        format!("({scoped} or p.created_by = $4)")
    }

    /// Bind `$1`–`$4`.
    pub fn bind<'q, O>(
        &self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
        now: DateTime<Utc>,
    ) -> QueryAs<'q, Postgres, O, PgArguments> {
        query
            .bind(self.unmasked)
            .bind(now)
            .bind(self.arg())
            .bind(self.user)
    }
}

/// A person as read, flags computed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub sex: String,
    pub birth_year: Option<i32>,
    pub age_estimate: Option<i32>,
    pub id_number: Option<String>,
    pub home_address: Option<String>,
    pub home_county_code: Option<String>,
    pub description: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reports_90d: i64,
    pub registered: bool,
    pub identified: bool,
    pub request_hash: Vec<u8>,
}

/// The columns of [`Row`] from `p`.
pub const COLUMNS: &str = "p.id, p.name, p.alias, p.sex, p.birth_year, p.age_estimate,
    case when $1 or p.id_number is null then p.id_number
         else left(p.id_number, 4) || repeat('*', 10) || right(p.id_number, 4) end as id_number,
    p.home_address, p.home_county_code, p.description, p.created_by, p.created_at, p.updated_at,
    (select count(*) from sightings s where s.person_id = p.id and s.observed_at >= $2 - interval '90 days')
      + (select count(*) from referrals r where r.person_id = p.id and r.sighting_id is null
           and r.reported_at >= $2 - interval '90 days') as reports_90d,
    exists (select 1 from register_entries e where e.person_id = p.id and e.ended_at is null) as registered,
    exists (select 1 from tracing_steps k where k.person_id = p.id and k.step = 'identity_found') as identified,
    p.request_hash";

pub async fn get(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Row>> {
    let sql = format!(
        "select {COLUMNS} from people p where p.id = $5 and {}",
        reader.condition()
    );
    reader
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), now)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Name or alias (contains), or the last four characters of the ID number.
    pub q: Option<String>,
    /// `(lat, lon, radius_m)`: reported within the radius.
    pub near: Option<(f64, f64, f64)>,
    /// Admitted to a station at least this many days ago and not identified.
    pub unidentified_days: Option<i32>,
    pub limit: i64,
}

pub async fn search(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    s: &Search,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Row>> {
    let sql = format!(
        "select {COLUMNS} from people p
         where {}
           and ($5::text is null or lower(p.name) like '%' || lower($5) || '%'
                or lower(p.alias) like '%' || lower($5) || '%' or right(p.id_number, 4) = upper($5))
           and ($6::float8 is null or exists (
                 select 1 from sightings s where s.person_id = p.id
                   and st_dwithin(s.location, st_setsrid(st_makepoint($7, $6), 4326)::geography, $8))
               or exists (
                 select 1 from referrals r where r.person_id = p.id
                   and st_dwithin(r.location, st_setsrid(st_makepoint($7, $6), 4326)::geography, $8)))
           and ($9::int is null or (
                 exists (select 1 from referrals r where r.person_id = p.id and r.outcome = 'admitted_to_station'
                         and r.resolved_at <= $2 - make_interval(days => $9))
                 and not exists (select 1 from tracing_steps k where k.person_id = p.id and k.step = 'identity_found')))
         order by p.updated_at desc, p.id limit $10",
        reader.condition()
    );
    let (lat, lon, radius) = match s.near {
        Some((a, b, c)) => (Some(a), Some(b), Some(c)),
        None => (None, None, None),
    };
    reader
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)), now)
        .bind(&s.q)
        .bind(lat)
        .bind(lon)
        .bind(radius)
        .bind(s.unidentified_days)
        .bind(s.limit)
        .fetch_all(db)
        .await
}

/// Append to a person's history.
pub async fn event(
    conn: &mut PgConnection,
    person: Uuid,
    kind: &str,
    actor: Option<Uuid>,
    at: DateTime<Utc>,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into person_events (person_id, kind, actor_id, at, detail) values ($1, $2, $3, $4, $5)",
    )
    .bind(person)
    .bind(kind)
    .bind(actor)
    .bind(at)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The person's linked reports, oldest first.
pub async fn reports(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<
    Vec<(
        String,
        Uuid,
        DateTime<Utc>,
        f64,
        f64,
        String,
        Option<String>,
    )>,
> {
    sqlx::query_as(
        "select 'sighting', s.id, s.observed_at, st_y(s.location::geometry), st_x(s.location::geometry),
                s.station_code, null::text
         from sightings s where s.person_id = $1
         union all
         select 'referral', r.id, r.reported_at, st_y(r.location::geometry), st_x(r.location::geometry),
                r.station_code, r.status
         from referrals r where r.person_id = $1
         order by 3, 2",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

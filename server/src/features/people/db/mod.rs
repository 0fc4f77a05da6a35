//! Person queries. Every read carries the reader's scope in its `where` ([`Reader::push_condition`])
//! and masks the ID number in the select for all but city supervisors ([`Reader::push_columns`]);
//! both push their own binds, so no placeholder is counted by hand.

use chrono::{DateTime, Utc};
use mobile_api::Role;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

pub mod records;
pub mod register;
pub mod returns;
pub mod revisits;
pub mod schedules;
pub mod tracing;

use crate::features::auth::CurrentUser;
use crate::rules::scope::Scope;

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
    pub now: DateTime<Utc>,
    /// Register and ledger entries that ended before this grant no access any more.
    pub ended_cutoff: DateTime<Utc>,
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

/// A query whose text and binds are put together from parts.
pub type Builder = QueryBuilder<Postgres>;

impl Reader {
    /// `user` reading at `now`; entries ended more than `ended_access` ago grant nothing.
    pub fn of(user: &CurrentUser, now: DateTime<Utc>, ended_access: chrono::Duration) -> Self {
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
            now,
            ended_cutoff: now - ended_access,
        }
    }

    /// The liaison's township, for lists that show a liaison only their own township's entries.
    pub fn township(&self) -> Option<&str> {
        match &self.scope {
            PersonScope::Township(t) => Some(t),
            _ => None,
        }
    }

    /// An entry `alias` (register or ledger) still grants access: open, or ended lately.
    fn push_entry_live(&self, qb: &mut Builder, alias: &str) {
        qb.push(format_args!(
            "({alias}.ended_at is null or {alias}.ended_at > "
        ))
        .push_bind(self.ended_cutoff)
        .push(")");
    }

    /// The condition on a person `p`: in scope, or created by the reader.
    pub fn push_condition(&self, qb: &mut Builder) {
        qb.push("(");
        match &self.scope {
            PersonScope::City => {
                qb.push("true");
            }
            PersonScope::Nothing => {
                qb.push("false");
            }
            PersonScope::County(c) => {
                qb.push("exists (select 1 from referrals r where r.person_id = p.id and county_of(r.area_code, r.accountable_station) = ")
                    .push_bind(c.clone())
                    .push(") or exists (select 1 from sightings s where s.person_id = p.id and county_of(s.area_code, s.station_code) = ")
                    .push_bind(c.clone())
                    .push(") or exists (select 1 from register_entries e join townships t on t.code = e.township_code where e.person_id = p.id and t.county_code = ")
                    .push_bind(c.clone())
                    .push(" and ");
                self.push_entry_live(qb, "e");
                qb.push(") or exists (select 1 from returns x left join townships t on t.code = x.township_code where x.person_id = p.id and (t.county_code = ")
                    .push_bind(c.clone())
                    .push(" or x.destination_county_code = ")
                    .push_bind(c.clone())
                    .push(") and ");
                self.push_entry_live(qb, "x");
                qb.push(")");
            }
            PersonScope::Station(s) => {
                qb.push("exists (select 1 from referrals r where r.person_id = p.id and (r.station_code = ")
                    .push_bind(s.clone())
                    .push(" or r.accountable_station = ")
                    .push_bind(s.clone())
                    .push(" or exists (select 1 from referral_events ev where ev.referral_id = r.id and (ev.station_code = ")
                    .push_bind(s.clone())
                    .push(" or ev.target_station = ")
                    .push_bind(s.clone())
                    .push(")))) or exists (select 1 from sightings s where s.person_id = p.id and s.station_code = ")
                    .push_bind(s.clone())
                    .push(")");
            }
            PersonScope::Township(t) => {
                qb.push("exists (select 1 from register_entries e where e.person_id = p.id and e.township_code = ")
                    .push_bind(t.clone())
                    .push(" and ");
                self.push_entry_live(qb, "e");
                qb.push(") or exists (select 1 from returns x where x.person_id = p.id and x.township_code = ")
                    .push_bind(t.clone())
                    .push(" and ");
                self.push_entry_live(qb, "x");
                qb.push(")");
            }
        }
        qb.push(" or p.created_by = ")
            .push_bind(self.user)
            .push(")");
    }

    /// The ID number of `p`, masked unless the reader is a city supervisor.
    pub fn push_id_number(&self, qb: &mut Builder) {
        qb.push("case when ")
            .push_bind(self.unmasked)
            .push(" or p.id_number is null then p.id_number else left(p.id_number, 4) || repeat('*', 10) || right(p.id_number, 4) end");
    }

    /// The columns of [`Row`] from `p`.
    pub fn push_columns(&self, qb: &mut Builder) {
        qb.push("p.id, p.name, p.alias, p.sex, p.birth_year, p.age_estimate, ");
        self.push_id_number(qb);
        qb.push(" as id_number, p.home_address, p.home_county_code, p.description, p.created_by, p.created_at, p.updated_at, ");
        // A referral raised by a sighting is the same report: counted once, whichever of the
        // two was linked.
        qb.push("(select count(*) from sightings s where s.person_id = p.id and s.observed_at >= ")
            .push_bind(self.now)
            .push(" - make_interval(days => ")
            .push_bind(REPEAT_DAYS)
            .push(")) + (select count(*) from referrals r where r.person_id = p.id and r.reported_at >= ")
            .push_bind(self.now)
            .push(" - make_interval(days => ")
            .push_bind(REPEAT_DAYS)
            .push(") and not exists (select 1 from sightings s where s.id = r.sighting_id and s.person_id = p.id)) as reports_90d,
    exists (select 1 from register_entries e where e.person_id = p.id and e.ended_at is null) as registered,
    exists (select 1 from tracing_steps k where k.person_id = p.id and k.step = 'identity_found') as identified,
    p.request_hash");
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

/// The person `id`, if the reader may read them.
pub async fn get(db: impl PgExecutor<'_>, reader: &Reader, id: Uuid) -> sqlx::Result<Option<Row>> {
    let mut qb = Builder::new("select ");
    reader.push_columns(&mut qb);
    qb.push(" from people p where p.id = ")
        .push_bind(id)
        .push(" and ");
    reader.push_condition(&mut qb);
    qb.build_query_as().fetch_optional(db).await
}

/// The person whose resident ID is `id_number` (normalised), in scope or not: a link by the
/// number in hand is how a person joins another station's scope.
pub async fn with_id_number(
    db: impl PgExecutor<'_>,
    id_number: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select id from people where id_number = $1 order by created_at, id limit 1")
        .bind(id_number)
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
) -> sqlx::Result<Vec<Row>> {
    let mut qb = Builder::new("select ");
    reader.push_columns(&mut qb);
    qb.push(" from people p where ");
    reader.push_condition(&mut qb);
    if let Some(q) = &s.q {
        qb.push(" and (lower(p.name) like '%' || lower(")
            .push_bind(q.clone())
            .push(") || '%' or lower(p.alias) like '%' || lower(")
            .push_bind(q.clone())
            .push(") || '%' or right(p.id_number, 4) = upper(")
            .push_bind(q.clone())
            .push("))");
    }
    if let Some((lat, lon, radius)) = s.near {
        for (table, alias) in [("sightings", "s"), ("referrals", "r")] {
            qb.push(if alias == "s" { " and (" } else { " or " })
                .push(format_args!("exists (select 1 from {table} {alias} where {alias}.person_id = p.id and st_dwithin({alias}.location, st_setsrid(st_makepoint("))
                .push_bind(lon)
                .push(", ")
                .push_bind(lat)
                .push("), 4326)::geography, ")
                .push_bind(radius)
                .push("))");
        }
        qb.push(")");
    }
    if let Some(days) = s.unidentified_days {
        qb.push(" and exists (select 1 from referrals r where r.person_id = p.id and r.outcome = 'admitted_to_station' and r.resolved_at <= ")
            .push_bind(reader.now)
            .push(" - make_interval(days => ")
            .push_bind(days)
            .push(")) and not exists (select 1 from tracing_steps k where k.person_id = p.id and k.step = 'identity_found')");
    }
    qb.push(" order by p.updated_at desc, p.id limit ")
        .push_bind(s.limit);
    qb.build_query_as().fetch_all(db).await
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

/// A linked report as a person's page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkedReport {
    pub kind: String,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub lat: f64,
    pub lon: f64,
    pub station: String,
    pub status: Option<String>,
}

/// The person's linked reports that the reader may read as reports (`referrals`, `sightings`:
/// the scopes of `GET /api/v1/referrals` and `/sightings`), oldest first, and how many others
/// there are.
pub async fn reports(
    db: &sqlx::PgPool,
    person: Uuid,
    referrals: &Scope,
    sightings: &Scope,
) -> sqlx::Result<(Vec<LinkedReport>, i64)> {
    let mut qb = Builder::new(
        "select 'sighting' as kind, s.id, s.observed_at as at, st_y(s.location::geometry) as lat,
                st_x(s.location::geometry) as lon, s.station_code as station, null::text as status
         from sightings s where s.person_id = ",
    );
    qb.push_bind(person).push(" and ");
    sightings.push_sighting_condition(&mut qb);
    qb.push(
        " union all
         select 'referral', r.id, r.reported_at, st_y(r.location::geometry), st_x(r.location::geometry),
                r.station_code, r.status
         from referrals r where r.person_id = ",
    )
    .push_bind(person)
    .push(" and ");
    referrals.push_referral_condition(&mut qb);
    qb.push(" order by 3, 2");
    let shown: Vec<LinkedReport> = qb.build_query_as().fetch_all(db).await?;
    let total: i64 = sqlx::query_scalar(
        "select (select count(*) from sightings where person_id = $1)
              + (select count(*) from referrals where person_id = $1)",
    )
    .bind(person)
    .fetch_one(db)
    .await?;
    let elsewhere = total - i64::try_from(shown.len()).unwrap_or(i64::MAX);
    Ok((shown, elsewhere.max(0)))
}

/// The person a referral (or sighting) is linked to, its row locked for the change.
pub async fn linked_person(
    conn: &mut PgConnection,
    referral: bool,
    report: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    let sql = if referral {
        "select person_id from referrals where id = $1 for update"
    } else {
        "select person_id from sightings where id = $1 for update"
    };
    sqlx::query_scalar(sql).bind(report).fetch_one(conn).await
}

/// Link a referral (or sighting) to a person.
pub async fn set_linked_person(
    conn: &mut PgConnection,
    referral: bool,
    report: Uuid,
    person: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if referral {
        sqlx::query("update referrals set person_id = $2, updated_at = $3 where id = $1")
            .bind(report)
            .bind(person)
            .bind(now)
            .execute(conn)
            .await?;
    } else {
        sqlx::query("update sightings set person_id = $2 where id = $1")
            .bind(report)
            .bind(person)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Take the push of an entry's overdue revisit for this due date, under a row lock (a second
/// server skips what this one is pushing); false when it was taken already.
pub async fn claim_overdue_push(
    conn: &mut PgConnection,
    register: bool,
    entry: Uuid,
    due_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let sql = if register {
        "update register_entries set overdue_pushed_for = $2 where id = $1
           and overdue_pushed_for is distinct from $2
           and id in (select id from register_entries where id = $1 for update skip locked)"
    } else {
        "update returns set overdue_pushed_for = $2 where id = $1
           and overdue_pushed_for is distinct from $2
           and id in (select id from returns where id = $1 for update skip locked)"
    };
    Ok(sqlx::query(sql)
        .bind(entry)
        .bind(due_at)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

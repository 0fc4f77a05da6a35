//! The at-risk register, and the townships its entries name.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{Builder, Reader};

/// Whether a township code is one of Tai'an's.
pub async fn township_known(db: impl PgExecutor<'_>, code: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from townships where code = $1)")
        .bind(code)
        .fetch_one(db)
        .await
}

/// Every township: `(code, name, county_code)`, by code.
pub async fn townships(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, String, String)>> {
    sqlx::query_as("select code, name, county_code from townships order by code")
        .fetch_all(db)
        .await
}

/// A register entry as read, with its last revisit.
#[derive(Debug, sqlx::FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub reason: String,
    pub township_code: String,
    pub township: String,
    pub village: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub registered_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub last_at: Option<DateTime<Utc>>,
}

/// A person's register entries, oldest first.
pub async fn entries_of(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<EntryRow>> {
    sqlx::query_as(
        "select e.id, e.reason, e.township_code, t.name as township, e.village, e.registered_at,
                u.username as registered_by, e.ended_at, e.end_reason,
                (select max(v.at) from revisits v where v.person_id = e.person_id and v.at >= e.registered_at) as last_at
         from register_entries e join townships t on t.code = e.township_code
         join users u on u.id = e.registered_by
         where e.person_id = $1 order by e.registered_at, e.id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

/// An entry to open.
pub struct NewEntry<'a> {
    pub id: Uuid,
    pub person: Uuid,
    pub reason: &'a str,
    pub township_code: &'a str,
    pub village: Option<&'a str>,
    pub registered_by: Uuid,
    pub registered_at: DateTime<Utc>,
}

/// Open an entry unless the person has an open one; true when opened.
pub async fn insert_entry(conn: &mut PgConnection, e: &NewEntry<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into register_entries (id, person_id, reason, township_code, village, registered_by, registered_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (person_id) where ended_at is null do nothing",
    )
    .bind(e.id)
    .bind(e.person)
    .bind(e.reason)
    .bind(e.township_code)
    .bind(e.village)
    .bind(e.registered_by)
    .bind(e.registered_at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// End an open entry with a reason.
pub async fn end_entry(
    conn: &mut PgConnection,
    entry: Uuid,
    by: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update register_entries set ended_at = $2, ended_by = $3, end_reason = $4 where id = $1 and ended_at is null",
    )
    .bind(entry)
    .bind(now)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A line of the roster (花名册): an open entry and its person, the ID number masked as the
/// reader reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct RosterRow {
    pub person_id: Uuid,
    pub township_code: String,
    pub township: String,
    pub village: Option<String>,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub sex: String,
    pub birth_year: Option<i32>,
    pub age_estimate: Option<i32>,
    pub id_number: Option<String>,
    pub home_address: Option<String>,
    pub reason: String,
    pub registered_at: DateTime<Utc>,
    pub last_at: Option<DateTime<Utc>>,
}

/// The open entries the reader may read, of one township if given (a liaison's always their
/// own), by township and date.
pub async fn roster(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    township: Option<&str>,
) -> sqlx::Result<Vec<RosterRow>> {
    let mut qb = Builder::new(
        "select p.id as person_id, e.township_code, t.name as township, e.village, p.name, p.alias, p.sex,
                p.birth_year, p.age_estimate, ",
    );
    reader.push_id_number(&mut qb);
    qb.push(
        " as id_number, p.home_address, e.reason, e.registered_at,
                (select max(v.at) from revisits v where v.person_id = p.id and v.at >= e.registered_at) as last_at
         from register_entries e join people p on p.id = e.person_id join townships t on t.code = e.township_code
         where e.ended_at is null and ",
    );
    reader.push_condition(&mut qb);
    for code in [township, reader.township()].into_iter().flatten() {
        qb.push(" and e.township_code = ")
            .push_bind(code.to_owned());
    }
    qb.push(" order by e.township_code, e.registered_at, p.id");
    qb.build_query_as().fetch_all(db).await
}

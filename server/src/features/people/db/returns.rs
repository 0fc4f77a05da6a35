//! The returnee ledger (返乡人员信息台账).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{Builder, Reader};

/// A ledger entry as read, with its person's name and last revisit.
#[derive(Debug, sqlx::FromRow)]
pub struct ReturnRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub destination_county_code: Option<String>,
    pub township_code: Option<String>,
    pub township: Option<String>,
    pub handed_over_to: Option<String>,
    pub family_situation: Option<String>,
    pub returned_on: NaiveDate,
    pub ended_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
}

/// The select of [`ReturnRow`] from `returns x`.
const SELECT: &str = "select x.id, x.person_id, x.referral_id, x.destination_county_code, x.township_code,
        t.name as township, x.handed_over_to, x.family_situation, x.returned_on, x.ended_at,
        (select max(v.at) from revisits v where v.person_id = x.person_id
           and v.at >= (x.returned_on::timestamp at time zone 'Asia/Shanghai')) as last_at,
        p.name
    from returns x join people p on p.id = x.person_id left join townships t on t.code = x.township_code";

/// A person's entries, by date of return.
pub async fn of_person(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<ReturnRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} where x.person_id = $1 order by x.returned_on, x.id"
    )))
    .bind(person)
    .fetch_all(db)
    .await
}

/// One entry by id.
pub async fn entry(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ReturnRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} where x.id = $1")))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The person a referral is linked to, if any (`None` for an unknown referral too).
pub async fn person_of_referral(
    conn: &mut PgConnection,
    referral: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    let person: Option<Option<Uuid>> =
        sqlx::query_scalar("select person_id from referrals where id = $1")
            .bind(referral)
            .fetch_optional(conn)
            .await?;
    Ok(person.flatten())
}

/// The entry a resolution opens (its id derived from the referral's); true when opened.
pub async fn open_for_referral(
    conn: &mut PgConnection,
    referral: Uuid,
    person: Uuid,
    day: NaiveDate,
    actor: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into returns (id, person_id, referral_id, returned_on, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(Uuid::new_v5(&Uuid::NAMESPACE_OID, referral.as_bytes()))
    .bind(person)
    .bind(referral)
    .bind(day)
    .bind(actor)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The details of a return home, as entered.
pub struct Details<'a> {
    pub destination_county_code: Option<&'a str>,
    pub township_code: Option<&'a str>,
    pub handed_over_to: Option<&'a str>,
    pub family_situation: Option<&'a str>,
    pub returned_on: NaiveDate,
}

/// Fill in the entry a resolution opened; its id, if the person has one for that referral.
pub async fn complete_for_referral(
    conn: &mut PgConnection,
    referral: Uuid,
    person: Uuid,
    d: &Details<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "update returns set destination_county_code = coalesce($3, destination_county_code),
                township_code = coalesce($4, township_code), handed_over_to = coalesce($5, handed_over_to),
                family_situation = coalesce($6, family_situation), returned_on = $7
         where referral_id = $1 and person_id = $2 returning id",
    )
    .bind(referral)
    .bind(person)
    .bind(d.destination_county_code)
    .bind(d.township_code)
    .bind(d.handed_over_to)
    .bind(d.family_situation)
    .bind(d.returned_on)
    .fetch_optional(conn)
    .await
}

/// A return recorded by hand.
pub async fn insert_return(
    conn: &mut PgConnection,
    id: Uuid,
    person: Uuid,
    d: &Details<'_>,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into returns (id, person_id, destination_county_code, township_code, handed_over_to,
                              family_situation, returned_on, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(person)
    .bind(d.destination_county_code)
    .bind(d.township_code)
    .bind(d.handed_over_to)
    .bind(d.family_situation)
    .bind(d.returned_on)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
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
        "update returns set ended_at = $2, ended_by = $3, end_reason = $4 where id = $1 and ended_at is null",
    )
    .bind(entry)
    .bind(now)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ledger the reader may read, returned between `from` and `to` (local dates, inclusive),
/// a liaison's own township's alone, by date.
pub async fn list(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> sqlx::Result<Vec<ReturnRow>> {
    let mut qb = Builder::new(SELECT);
    qb.push(" where exists (select 1 from people p where p.id = x.person_id and ");
    reader.push_condition(&mut qb);
    qb.push(")");
    if let Some(from) = from {
        qb.push(" and x.returned_on >= ").push_bind(from);
    }
    if let Some(to) = to {
        qb.push(" and x.returned_on <= ").push_bind(to);
    }
    if let Some(township) = reader.township() {
        qb.push(" and x.township_code = ")
            .push_bind(township.to_owned());
    }
    qb.push(" order by x.returned_on, x.id");
    qb.build_query_as().fetch_all(db).await
}

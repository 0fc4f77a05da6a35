//! Every statement of escalation, checked against the schema at compile time.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A referral with a deadline, and how far it has been escalated.
#[derive(Debug)]
pub struct Due {
    pub id: Uuid,
    pub status: String,
    pub priority: String,
    pub station_code: String,
    pub accountable_station: String,
    pub area_code: Option<String>,
    pub accept_by: DateTime<Utc>,
    pub on_scene_by: DateTime<Utc>,
    pub accept_escalation: i16,
    pub scene_escalation: i16,
}

/// Up to 500 referrals past a deadline not yet escalated twice, locked (`skip locked`: two
/// workers never escalate one step twice). Members of a case follow their primary.
pub async fn overdue(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        "select id, status, priority, station_code, accountable_station, area_code, accept_by, on_scene_by,
                accept_escalation, scene_escalation
         from referrals
         where case_id is null
           and ((status = 'routed' and accept_escalation < 2 and accept_by <= $1)
            or (status in ('accepted', 'en_route') and scene_escalation < 2 and on_scene_by <= $1
                and kind = 'report'))
         order by id
         limit 500
         for update skip locked",
        now
    )
    .fetch_all(conn)
    .await
}

/// The referral, locked, if it still waits for acceptance and was never escalated.
pub async fn lock_unreached(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Due>> {
    sqlx::query_as!(
        Due,
        "select id, status, priority, station_code, accountable_station, area_code, accept_by, on_scene_by,
                accept_escalation, scene_escalation
         from referrals
         where id = $1 and status = 'routed' and accept_escalation = 0 and case_id is null
         for update",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The level the acceptance deadline (`accept`) or the on-scene one has reached.
pub async fn set_level(
    conn: &mut PgConnection,
    id: Uuid,
    accept: bool,
    level: i16,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update referrals set
             accept_escalation = case when $3 then $2 else accept_escalation end,
             scene_escalation = case when $3 then scene_escalation else $2 end
         where id = $1",
        id,
        level,
        accept
    )
    .execute(conn)
    .await?;
    Ok(())
}

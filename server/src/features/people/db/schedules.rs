//! The revisit schedule of open register and ledger entries: what is due, and what became
//! overdue.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{Builder, Reader};

/// Every schedule of revisits (open register and ledger entries) with its next due time, as
/// `schedule, entry_id, person_id, township_code, starts_at, last_at, due_at, pushed_for`,
/// a revisit due every `days`.
fn push_schedules(qb: &mut Builder, days: i32) {
    qb.push(
        "with sc as (
        select 'register' as schedule, e.id as entry_id, e.person_id, e.township_code,
               e.registered_at as starts_at, e.overdue_pushed_for as pushed_for
        from register_entries e where e.ended_at is null
        union all
        select 'return', x.id, x.person_id, x.township_code,
               (x.returned_on::timestamp at time zone 'Asia/Shanghai'), x.overdue_pushed_for
        from returns x where x.ended_at is null
    ), last as (
        select sc.*, (select max(v.at) from revisits v where v.person_id = sc.person_id and v.at >= sc.starts_at) as last_at
        from sc
    )
    select last.*, coalesce(last.last_at, last.starts_at) + make_interval(days => ",
    )
    .push_bind(days)
    .push(") as due_at from last");
}

/// A revisit due, with the person's name as the reader reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct DueRow {
    pub schedule: String,
    pub entry_id: Uuid,
    pub person_id: Uuid,
    pub name: Option<String>,
    pub township_code: Option<String>,
    pub township: Option<String>,
    pub last_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
}

/// Revisits the reader may read due before `before`, soonest first (a liaison's township's alone).
pub async fn due(
    db: impl PgExecutor<'_>,
    reader: &Reader,
    before: DateTime<Utc>,
    days: i32,
) -> sqlx::Result<Vec<DueRow>> {
    let mut qb = Builder::new(
        "select s.schedule, s.entry_id, s.person_id, p.name, s.township_code, t.name as township, s.last_at, s.due_at
         from (",
    );
    push_schedules(&mut qb, days);
    qb.push(
        ") s join people p on p.id = s.person_id left join townships t on t.code = s.township_code
         where s.due_at < ",
    )
    .push_bind(before)
    .push(" and ");
    reader.push_condition(&mut qb);
    if let Some(township) = reader.township() {
        qb.push(" and s.township_code = ")
            .push_bind(township.to_owned());
    }
    qb.push(" order by s.due_at, s.entry_id");
    qb.build_query_as().fetch_all(db).await
}

/// A revisit overdue and not yet pushed for its due date.
#[derive(Debug, sqlx::FromRow)]
pub struct Overdue {
    pub schedule: String,
    pub entry_id: Uuid,
    pub township_code: Option<String>,
    pub township: Option<String>,
    pub county: Option<String>,
    pub due_at: DateTime<Utc>,
}

/// Up to 200 revisits overdue at `now` and not pushed for their due date, oldest first.
pub async fn overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    days: i32,
) -> sqlx::Result<Vec<Overdue>> {
    let mut qb = Builder::new(
        "select s.schedule, s.entry_id, s.township_code, t.name as township,
                t.county_code as county, s.due_at
         from (",
    );
    push_schedules(&mut qb, days);
    qb.push(") s left join townships t on t.code = s.township_code where s.due_at < ")
        .push_bind(now)
        .push(" and s.pushed_for is distinct from s.due_at order by s.due_at limit 200");
    qb.build_query_as().fetch_all(conn).await
}

//! Plain reports (ones that raise no referral) arriving together are written together. One
//! writer takes everything waiting, up to [`MAX_ROWS`], and stores it with one statement and one
//! commit: under load a commit's cost is shared by many reports, as PostgreSQL's group commit
//! shares a disk flush. A report that arrives alone is written alone at once, so nobody waits
//! for company, and a caller hears back only after the commit: a 2xx still means stored.
//!
//! One writer, not several: in the load bench, two to eight writers took smaller groups and
//! reached 50–61 % of the raw insert rate where one writer reached 65–77 %, and 81–92 % once its
//! statements kept their plans (`OwnConnection`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::db::{self, Insert, Row};
use crate::plumbing::error::ApiError;

/// Largest group written by one statement.
const MAX_ROWS: usize = 64;
/// Reports waiting beyond this make their requests wait to be queued.
const QUEUE: usize = 1024;

struct Job {
    insert: Insert,
    reply: oneshot::Sender<Result<Option<Row>, ApiError>>,
}

/// The writer's queue; cheap to clone. The writer stops when the last clone is dropped.
#[derive(Clone)]
pub struct SightingWriter {
    queue: mpsc::Sender<Job>,
}

impl SightingWriter {
    pub fn start(db: PgPool) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, jobs));
        Self { queue }
    }

    /// Store the report if its id is new and read it back as stored; `None` when the id was
    /// stored before (a replay or a conflict, for the caller to tell apart).
    pub async fn insert(&self, insert: Insert) -> Result<Option<Row>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { insert, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the sighting writer has stopped"))
}

async fn run(db: PgPool, mut jobs: mpsc::Receiver<Job>) {
    let mut own = OwnConnection { db, conn: None };
    let mut group = Vec::with_capacity(MAX_ROWS);
    while jobs.recv_many(&mut group, MAX_ROWS).await > 0 {
        let (inserts, replies): (Vec<Insert>, Vec<_>) =
            group.drain(..).map(|job| (job.insert, job.reply)).unzip();
        let results = write_group_on(&mut own, &inserts).await;
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// The writer's own connection, taken out of the pool for good (the pool opens another in its
/// place). Its session keeps generic plans: a group's statement over arrays, priced for ten rows
/// in a generic plan and for the rows at hand in a custom one, was otherwise planned afresh for
/// every group, a quarter of the time the writer spent on it. A pooled connection could not
/// carry that setting, which would reach other requests' statements.
struct OwnConnection {
    db: PgPool,
    conn: Option<(PgConnection, Instant)>,
}

impl OwnConnection {
    async fn get(&mut self) -> sqlx::Result<&mut PgConnection> {
        let (mut conn, last_used) = match self.conn.take() {
            Some(held) => held,
            None => {
                let mut conn = self.db.acquire().await?.detach();
                sqlx::query("set plan_cache_mode = force_generic_plan")
                    .execute(&mut conn)
                    .await?;
                (conn, Instant::now())
            }
        };
        // As the pool does: a connection idle for a while may have been closed meanwhile.
        if last_used.elapsed() > crate::plumbing::db::PING_AFTER_IDLE {
            conn.ping().await?;
        }
        Ok(&mut self.conn.insert((conn, Instant::now())).0)
    }

    /// Forget the connection after an error that may have broken it.
    fn drop_if_broken(&mut self, err: &sqlx::Error) {
        if crate::plumbing::db::is_unavailable(err) {
            self.conn = None;
        }
    }
}

/// Store a group; one answer per insert, in order: the row as stored, `None` when its id was
/// stored before, or the error that kept it out.
pub async fn write_group(db: &PgPool, group: &[Insert]) -> Vec<Result<Option<Row>, ApiError>> {
    let mut own = OwnConnection {
        db: db.clone(),
        conn: None,
    };
    write_group_on(&mut own, group).await
}

/// [`write_group`] on the writer's own connection.
async fn write_group_on(
    own: &mut OwnConnection,
    group: &[Insert],
) -> Vec<Result<Option<Row>, ApiError>> {
    // An id twice in one group (a phone racing its own retry) is written by its first insert;
    // the others hear "stored before" once that is committed, and take the replay path.
    let mut seen = HashSet::new();
    let first: Vec<&Insert> = group.iter().filter(|i| seen.insert(i.row.id)).collect();
    let mut results: HashMap<Uuid, Result<Option<Row>, ApiError>> = HashMap::new();
    let written = match own.get().await {
        Ok(conn) => db::insert_and_fetch_many(conn, &first).await,
        Err(err) => Err(err),
    };
    if let Err(err) = &written {
        own.drop_if_broken(err);
    }
    match written {
        Ok(rows) => {
            let mut stored: HashMap<Uuid, Row> = rows.into_iter().map(|r| (r.id, r)).collect();
            for i in &first {
                results.insert(i.row.id, Ok(stored.remove(&i.row.id)));
            }
        }
        Err(err) if crate::plumbing::db::is_unavailable(&err) => {
            tracing::warn!(error = %err, "database unavailable");
            for i in &first {
                results.insert(i.row.id, Err(ApiError::DatabaseUnavailable));
            }
        }
        Err(err) => {
            // One row the database refuses spoils the statement for all: write each alone, so
            // only that one fails. The code, not the message: a message may quote the row.
            let code = err.as_database_error().and_then(|e| e.code());
            tracing::warn!(
                ?code,
                rows = first.len(),
                "grouped sighting insert failed; writing one by one"
            );
            for i in &first {
                let result = db::insert_and_fetch(&own.db, i.reporter, i.received_at, &i.row).await;
                results.insert(i.row.id, result.map_err(ApiError::from));
            }
        }
    }
    group
        .iter()
        .map(|i| results.remove(&i.row.id).unwrap_or(Ok(None)))
        .collect()
}

impl crate::plumbing::state::AppState {
    /// Writes plain sightings in groups.
    pub fn sighting_writer(&self) -> &SightingWriter {
        self.part::<SightingWriter>()
    }
}

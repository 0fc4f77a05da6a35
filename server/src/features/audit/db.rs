//! The access log: who read which record's personal fields, and when.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Who read: an account, or an Open311 partner by its key.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    User(Uuid),
    Partner(Uuid),
}

/// The kind of record read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Referral,
    Sighting,
    Incident,
    Person,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Referral => "referral",
            Kind::Sighting => "sighting",
            Kind::Incident => "incident",
            Kind::Person => "person",
        }
    }
}

/// Record that `reader` was answered with the personal fields of `ids`, in one statement.
pub async fn record(
    db: impl PgExecutor<'_>,
    at: DateTime<Utc>,
    reader: Reader,
    kind: Kind,
    ids: &[Uuid],
    via: &str,
) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let (user, partner) = match reader {
        Reader::User(id) => (Some(id), None),
        Reader::Partner(id) => (None, Some(id)),
    };
    sqlx::query(
        "insert into access_log (at, reader_id, partner_id, record_kind, record_id, via)
         select $1, $2, $3, $4, id, $6 from unnest($5::uuid[]) id",
    )
    .bind(at)
    .bind(user)
    .bind(partner)
    .bind(kind.name())
    .bind(ids)
    .bind(via)
    .execute(db)
    .await?;
    Ok(())
}

/// One line of the log, with names instead of ids.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub reader: Option<String>,
    pub reader_role: Option<String>,
    pub partner: Option<String>,
    pub record_kind: String,
    pub record_id: Uuid,
    pub via: String,
}

/// What a log query asks for; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub record: Option<Uuid>,
    pub username: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(db: impl PgExecutor<'_>, f: &Filter) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(
        "select l.at, u.username as reader, u.role as reader_role, p.name as partner,
                l.record_kind, l.record_id, l.via
         from access_log l
         left join users u on u.id = l.reader_id
         left join partners p on p.id = l.partner_id
         where ($1::uuid is null or l.record_id = $1)
           and ($2::text is null or lower(u.username) = lower($2) or p.name = $2)
           and ($3::timestamptz is null or l.at >= $3)
           and ($4::timestamptz is null or l.at < $4)
         order by l.at desc, l.id desc
         limit $5 offset $6",
    )
    .bind(f.record)
    .bind(&f.username)
    .bind(f.from)
    .bind(f.to)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(db)
    .await
}

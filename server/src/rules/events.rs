//! What one feature does that others react to, inside the same transaction: an alert pushed to
//! browsers also goes to the work-chat and SMS channels; new referrals ring those channels too;
//! a referral resolved `escorted_home` opens a returnee-ledger entry. The feature that acts
//! [`emit`]s an [`Event`]; the features that react are hooks installed once at the top
//! (`wiring::install_hooks`), so neither imports the other.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::rules::audience::Audience;

/// Something that happened, as the reacting features need it.
#[derive(Debug)]
pub enum Event<'a> {
    /// An alert was queued for `audience`'s browsers (about a referral, or about none).
    Alerted {
        audience: &'a Audience,
        referral_id: Option<Uuid>,
        event: &'a str,
        title: &'a str,
        body: &'a str,
        /// Where the console shows it.
        path: Option<&'a str>,
    },
    /// New referrals were routed; these are the ones whose station has a work-chat or SMS
    /// channel (the insert knows which, so nothing is read for the others).
    Routed { referral_ids: &'a [Uuid] },
    /// A referral was resolved with `outcome` by `actor`.
    Resolved {
        referral_id: Uuid,
        outcome: Option<&'a str>,
        actor: Uuid,
    },
}

/// A feature's reaction, run in the emitting transaction; its error fails that transaction.
pub type Hook = for<'a> fn(
    &'a mut PgConnection,
    &'a Event<'a>,
    DateTime<Utc>,
) -> BoxFuture<'a, sqlx::Result<()>>;

static HOOKS: OnceLock<Vec<Hook>> = OnceLock::new();

/// Install the hooks; the first call wins (every server in a process has the same ones).
pub fn install(hooks: Vec<Hook>) {
    let _ = HOOKS.set(hooks);
}

/// Run every hook on `event`. Without hooks installed this is an error, never a silent skip:
/// an alert that reaches nobody's robot must not look sent.
pub async fn emit(
    conn: &mut PgConnection,
    event: &Event<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let hooks = HOOKS.get().ok_or_else(|| {
        sqlx::Error::Configuration("event hooks are not installed (wiring::install_hooks)".into())
    })?;
    for hook in hooks {
        hook(&mut *conn, event, now).await?;
    }
    Ok(())
}

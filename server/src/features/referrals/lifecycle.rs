//! The referral state machine under first-contact responsibility (首接责任制): pure rules, no
//! I/O. The station that first receives a referral answers for it until another station has
//! *accepted* a transfer; a refused transfer returns it to the first station as it was.

use mobile_api::{Outcome, Role, Status};

use crate::features::auth::CurrentUser;
use crate::plumbing::error::ApiError;
use crate::rules::wire;

/// What the rules need to know of a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub status: Status,
    /// Where the referral sits: the routed station, or the one a transfer waits on.
    pub station: String,
    pub accountable: String,
    pub pending_transfer: bool,
    pub pre_transfer_status: Option<Status>,
    /// A person handed over at the station: once signed for (accepted), nobody needs to go
    /// out, so it may be resolved at once.
    pub handover: bool,
    /// Linked into another referral's case: it ends with that one and takes no steps itself.
    pub case_member: bool,
}

/// A step someone asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Accept,
    EnRoute,
    OnScene,
    Resolve(Outcome),
    Close,
    Transfer { to: String },
    RefuseTransfer,
}

impl Action {
    /// The event kind recorded for it.
    pub fn event_kind(&self) -> &'static str {
        match self {
            Action::Accept => "accepted",
            Action::EnRoute => "en_route",
            Action::OnScene => "on_scene",
            Action::Resolve(_) => "resolved",
            Action::Close => "closed",
            Action::Transfer { .. } => "transferred",
            Action::RefuseTransfer => "transfer_refused",
        }
    }

    fn verb(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::EnRoute => "set en route",
            Action::OnScene => "set on scene",
            Action::Resolve(_) => "resolve",
            Action::Close => "close",
            Action::Transfer { .. } => "transfer",
            Action::RefuseTransfer => "refuse a transfer of",
        }
    }
}

/// The referral after a permitted step, and whether the acceptance deadline starts again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub next: Snapshot,
    pub restart_accept_clock: bool,
}

/// Apply `action` by `actor` to `now`: the new snapshot, 403 for someone who may not act on this
/// referral at all, or 409 `invalid_transition` naming the current state.
pub fn apply(current: &Snapshot, action: &Action, actor: &CurrentUser) -> Result<Change, ApiError> {
    let at_holder = actor.is_duty_of(&current.station);
    let at_accountable = actor.is_duty_of(&current.accountable);
    let supervisor = actor.role == Role::Supervisor;
    if !(at_holder
        || at_accountable
        || (supervisor && matches!(action, Action::Close | Action::Transfer { .. })))
    {
        return Err(ApiError::forbidden(match actor.role {
            Role::Duty => "this referral belongs to another station",
            Role::Supervisor => {
                "supervisors close and transfer referrals; the station does the rest"
            }
            _ => "only duty officers of the station act on a referral",
        }));
    }
    let s = current;
    if s.case_member {
        return Err(ApiError::conflict(
            "invalid_transition",
            "this referral is linked into another referral's case and ends with it: act on that one, or unlink it",
        ));
    }
    let mut next = s.clone();
    let mut restart_accept_clock = false;
    let ok = match action {
        Action::Accept => {
            let ok = s.status == Status::Routed && at_holder;
            if ok && s.pending_transfer {
                // The receiving station signs: from now on it answers for the referral.
                next.accountable = s.station.clone();
                next.pending_transfer = false;
                next.pre_transfer_status = None;
            }
            next.status = Status::Accepted;
            ok
        }
        // Nobody goes out for a person already at the station.
        Action::EnRoute => {
            next.status = Status::EnRoute;
            s.status == Status::Accepted && !s.pending_transfer && at_accountable && !s.handover
        }
        Action::OnScene => {
            next.status = Status::OnScene;
            s.status == Status::EnRoute && !s.pending_transfer && at_accountable && !s.handover
        }
        Action::Resolve(_) => {
            next.status = Status::Resolved;
            let reached =
                s.status == Status::OnScene || (s.handover && s.status == Status::Accepted);
            reached && !s.pending_transfer && at_accountable
        }
        Action::Close => {
            next.status = Status::Closed;
            s.status == Status::Resolved && (at_accountable || supervisor)
        }
        Action::Transfer { to } => {
            let open = matches!(
                s.status,
                Status::Routed | Status::Accepted | Status::EnRoute
            );
            if *to == s.accountable {
                return Err(ApiError::unprocessable(
                    "invalid_transfer",
                    "a referral cannot be transferred to the station that already answers for it",
                ));
            }
            next.station = to.clone();
            next.pending_transfer = true;
            next.pre_transfer_status = Some(s.status);
            next.status = Status::Routed;
            restart_accept_clock = true;
            open && !s.pending_transfer && (at_accountable || supervisor)
        }
        Action::RefuseTransfer => {
            let back = s.pre_transfer_status.unwrap_or(Status::Routed);
            next.station = s.accountable.clone();
            next.pending_transfer = false;
            next.pre_transfer_status = None;
            next.status = back;
            restart_accept_clock = back == Status::Routed;
            s.pending_transfer && at_holder && !at_accountable
        }
    };
    if !ok {
        return Err(invalid(s, action));
    }
    Ok(Change {
        next,
        restart_accept_clock,
    })
}

/// The steps `actor` may take now, by the names of their endpoints (`accept`, `en-route`, …),
/// so that a client offers exactly the buttons the server would accept.
pub fn permitted(current: &Snapshot, actor: &CurrentUser) -> Vec<String> {
    // Any station other than the accountable one stands in for a transfer's target.
    let elsewhere = format!("{}/elsewhere", current.accountable);
    [
        ("accept", Action::Accept),
        ("en-route", Action::EnRoute),
        ("on-scene", Action::OnScene),
        ("resolve", Action::Resolve(Outcome::Other)),
        ("close", Action::Close),
        ("transfer", Action::Transfer { to: elsewhere }),
        ("refuse-transfer", Action::RefuseTransfer),
    ]
    .into_iter()
    .filter(|(_, action)| apply(current, action, actor).is_ok())
    .map(|(name, _)| name.to_owned())
    .collect()
}

fn invalid(s: &Snapshot, action: &Action) -> ApiError {
    let mut message = format!(
        "cannot {} this referral: it is {}",
        action.verb(),
        wire::name(&s.status)
    );
    if s.pending_transfer {
        message.push_str(&format!(
            " awaiting acceptance of a transfer by {}",
            s.station
        ));
    }
    ApiError::conflict("invalid_transition", message)
}

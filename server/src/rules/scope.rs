//! Which records an account may read, as a SQL condition built from the account (PIPL: each
//! role sees what its work needs). Queries add the condition to their `where`, so a record out
//! of scope is never loaded: a single one answers 404, a list leaves it out.

use mobile_api::Role;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::rules::account::CurrentUser;

/// The rows of one kind an account may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// City supervisors.
    City,
    /// County supervisors: records whose county ([`COUNTY_OF_REFERRAL`]) is this one.
    County(String),
    /// Duty officers: records their station holds or answers for.
    Station(String),
    /// Hotline operators of one channel: referrals filed through it.
    Channel(String),
    /// Records the account itself created.
    Own(Uuid),
    /// Nothing at all.
    Nothing,
}

/// A referral's county, as [`Scope::County`] and the reports count it.
pub const COUNTY_OF_REFERRAL: &str = "county_of(r.area_code, r.accountable_station)";
/// A sighting's county.
pub const COUNTY_OF_SIGHTING: &str = "county_of(s.area_code, s.station_code)";

impl Scope {
    /// The referrals `user` may read.
    pub fn referrals(user: &CurrentUser) -> Self {
        match user.role {
            Role::Supervisor => supervisor(user),
            Role::Duty => station(user),
            Role::Hotline => match &user.channel {
                Some(channel) => Scope::Channel(channel.clone()),
                None => Scope::Own(user.id),
            },
            // A liaison reads the referrals it filed (a person wandering again).
            Role::Patrol | Role::Liaison => Scope::Own(user.id),
            Role::Admin => Scope::Nothing,
        }
    }

    /// The sightings `user` may read.
    pub fn sightings(user: &CurrentUser) -> Self {
        match user.role {
            Role::Supervisor => supervisor(user),
            Role::Duty => station(user),
            Role::Patrol => Scope::Own(user.id),
            Role::Hotline | Role::Admin | Role::Liaison => Scope::Nothing,
        }
    }

    /// For county-wide figures (reports, accountability, maps, alert coverage): the county a
    /// county supervisor is limited to.
    pub fn county(&self) -> Option<&str> {
        match self {
            Scope::County(c) => Some(c),
            _ => None,
        }
    }

    /// The condition on a referral row aliased `r`, with `$n` standing for [`Self::arg`].
    pub fn referral_condition(&self, n: usize) -> String {
        match self {
            Scope::City => "true".to_owned(),
            Scope::County(_) => format!("{COUNTY_OF_REFERRAL} = ${n}"),
            Scope::Station(_) => format!("(r.station_code = ${n} or r.accountable_station = ${n})"),
            Scope::Channel(_) => format!("r.channel = ${n}"),
            Scope::Own(_) => format!("r.created_by = ${n}::uuid"),
            Scope::Nothing => "false".to_owned(),
        }
    }

    /// The condition on a sighting row aliased `s`, with `$n` standing for [`Self::arg`].
    pub fn sighting_condition(&self, n: usize) -> String {
        match self {
            Scope::City => "true".to_owned(),
            Scope::County(_) => format!("{COUNTY_OF_SIGHTING} = ${n}"),
            Scope::Station(_) => format!("s.station_code = ${n}"),
            Scope::Own(_) => format!("s.reported_by = ${n}::uuid"),
            // Channels are of referrals; the parameter is still referenced, never true.
            Scope::Channel(_) => format!("${n}::text is null"),
            Scope::Nothing => "false".to_owned(),
        }
    }

    /// [`Self::referral_condition`] pushed onto a builder with its own binds.
    pub fn push_referral_condition(&self, qb: &mut QueryBuilder<Postgres>) {
        match self {
            Scope::City => qb.push("true"),
            Scope::County(c) => qb.push(COUNTY_OF_REFERRAL).push(" = ").push_bind(c.clone()),
            Scope::Station(s) => qb
                .push("(r.station_code = ")
                .push_bind(s.clone())
                .push(" or r.accountable_station = ")
                .push_bind(s.clone())
                .push(")"),
            Scope::Channel(c) => qb.push("r.channel = ").push_bind(c.clone()),
            Scope::Own(id) => qb.push("r.created_by = ").push_bind(*id),
            Scope::Nothing => qb.push("false"),
        };
    }

    /// [`Self::sighting_condition`] pushed onto a builder with its own binds.
    pub fn push_sighting_condition(&self, qb: &mut QueryBuilder<Postgres>) {
        match self {
            Scope::City => qb.push("true"),
            Scope::County(c) => qb.push(COUNTY_OF_SIGHTING).push(" = ").push_bind(c.clone()),
            Scope::Station(s) => qb.push("s.station_code = ").push_bind(s.clone()),
            Scope::Own(id) => qb.push("s.reported_by = ").push_bind(*id),
            Scope::Channel(_) | Scope::Nothing => qb.push("false"),
        };
    }

    /// The value the condition's parameter is bound to, if it has one.
    pub fn arg(&self) -> Option<String> {
        match self {
            Scope::City | Scope::Nothing => None,
            Scope::County(v) | Scope::Station(v) | Scope::Channel(v) => Some(v.clone()),
            Scope::Own(id) => Some(id.to_string()),
        }
    }
}

fn supervisor(user: &CurrentUser) -> Scope {
    match &user.county_code {
        Some(county) => Scope::County(county.clone()),
        None => Scope::City,
    }
}

fn station(user: &CurrentUser) -> Scope {
    match &user.station {
        Some(code) => Scope::Station(code.clone()),
        None => Scope::Nothing,
    }
}

/// Whether `user` reads a referral's caller phone, description and address, and other people's
/// timeline notes: every role that reads referrals except patrol officers, who see the steps,
/// times and stations of their own reports.
pub fn sees_personal_referral_fields(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Hotline | Role::Duty | Role::Supervisor)
}

/// Whether `user` may learn which person record a report is linked to: the roles that read
/// person records (not patrol officers, hotline operators or admins).
pub fn reads_people(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Duty | Role::Supervisor | Role::Liaison)
}

/// Whether `user` gets exact heat-maps (every cell, any window, special targets counted), within
/// their scope; everyone else gets coarse ones.
pub fn sees_exact_maps(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Duty | Role::Supervisor)
}

/// Bind `scope`'s argument, if it has one, as the next parameter.
pub fn bind<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    scope: &Scope,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    match scope.arg() {
        Some(v) => query.bind(v),
        None => query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_without_a_parameter_take_no_argument() {
        for scope in [Scope::City, Scope::Nothing] {
            assert!(scope.arg().is_none());
            assert!(!scope.referral_condition(3).contains('$'));
            assert!(!scope.sighting_condition(3).contains('$'));
        }
        let county = Scope::County("370921".into());
        assert_eq!(county.arg().as_deref(), Some("370921"));
        assert!(county.referral_condition(7).ends_with("= $7"));
    }
}

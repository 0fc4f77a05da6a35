//! Aggregating per-referral facts into report rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mobile_api::{AccountabilityRow, Priority};

use super::db::Facts;
use crate::plumbing::config::Settings;
use crate::rules::wire;

/// The `p`-quantile (0..=1) by linear interpolation between closest ranks, as PostgreSQL's
/// `percentile_cont` computes it.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = p.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 60_000.0
}

/// Figures of one group of referrals, as of `now`.
pub fn row(
    group: String,
    facts: &[&Facts],
    settings: &Settings,
    now: DateTime<Utc>,
) -> AccountabilityRow {
    let mut to_accept = Vec::new();
    let mut to_scene = Vec::new();
    let (
        mut accepted,
        mut in_time,
        mut ignored_late,
        mut open_now,
        mut overdue_now,
        mut escalations,
    ) = (0, 0, 0, 0, 0, 0);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for f in facts {
        let priority: Priority = wire::parse(&f.priority).unwrap_or(Priority::Normal);
        let accept_within = if f.kind == "handover" {
            settings.handover_within()
        } else {
            settings.accept_within(priority)
        };
        let accept_deadline = f.routed_at + accept_within;
        let scene_deadline = f.routed_at + settings.scene_within(priority);
        let open = !matches!(f.status.as_str(), "resolved" | "closed");
        if let Some(at) = f.accepted_at {
            accepted += 1;
            in_time += u64::from(at <= accept_deadline);
            to_accept.push(minutes(f.routed_at, at));
        } else if open && now > accept_deadline {
            ignored_late += 1;
        }
        if let Some(at) = f.on_scene_at {
            to_scene.push(minutes(f.routed_at, at));
        }
        if open {
            open_now += 1;
            let overdue = match f.accepted_at {
                None => now > accept_deadline,
                Some(_) => f.on_scene_at.is_none() && now > scene_deadline,
            };
            overdue_now += u64::from(overdue);
        }
        if let Some(outcome) = &f.outcome {
            *outcomes.entry(outcome.clone()).or_default() += 1;
        }
        escalations += u64::try_from(f.escalations).unwrap_or(0);
    }
    let denominator = accepted + ignored_late;
    AccountabilityRow {
        group,
        received: facts.len() as u64,
        cases: facts.iter().filter(|f| f.case_id.is_none()).count() as u64,
        accepted,
        accepted_in_time: in_time,
        on_time_pct: (denominator > 0).then(|| 100.0 * in_time as f64 / denominator as f64),
        median_minutes_to_accept: quantile(&to_accept, 0.5),
        p90_minutes_to_accept: quantile(&to_accept, 0.9),
        median_minutes_to_scene: quantile(&to_scene, 0.5),
        p90_minutes_to_scene: quantile(&to_scene, 0.9),
        transfers_in: 0,
        transfers_out: 0,
        escalations,
        outcomes,
        open_now,
        overdue_now,
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_interpolate_like_percentile_cont() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[4.0], 0.9), Some(4.0));
        assert_eq!(quantile(&[7.0, 3.0, 4.0], 0.5), Some(4.0));
        assert_eq!(quantile(&[1.0, 2.0], 0.5), Some(1.5));
        let p90 = quantile(&[3.0, 4.0, 7.0], 0.9).unwrap();
        assert!((p90 - 6.4).abs() < 1e-9);
    }
}

//! Per-rep analyses and form checks, and the set-level aggregates.

use std::collections::HashMap;

use fitvision_proto::v1::{FormViolation, Opinion, RepAnalysis};

use crate::definition::{AnalysisSpec, Bounds, FormCheck, RepPoint, RepRules, SignalSpec};
use crate::reps::RepSpan;

/// Cleaned signals by spec, computed once per analysis.
pub type SignalCache = HashMap<SignalSpec, Vec<Option<f64>>>;

/// The value of `signal` read at `point` of `rep`; for `Throughout` the frame
/// furthest outside `bounds` (or the extreme nearest a bound when all pass).
pub fn read_at(
    rep: &RepSpan,
    point: RepPoint,
    signal: Option<&Vec<Option<f64>>>,
    times_s: &[f64],
    bounds: &Bounds,
) -> Option<f64> {
    if point == RepPoint::Duration {
        return Some(times_s[rep.end] - times_s[rep.start]);
    }
    let s = signal?;
    let window = || s[rep.start..=rep.end].iter().flatten().copied();
    match point {
        RepPoint::Bottom => nearest_present(s, rep.mid),
        RepPoint::Top => {
            let a = nearest_present(s, rep.start);
            let b = nearest_present(s, rep.end);
            match (a, b) {
                // "Top" is the better-positioned end; which way is better depends on the bound.
                (Some(a), Some(b)) => Some(if bounds.min.is_some() {
                    a.max(b)
                } else {
                    a.min(b)
                }),
                (a, b) => a.or(b),
            }
        }
        RepPoint::Throughout => {
            let lo = window().fold(f64::INFINITY, f64::min);
            let hi = window().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                return None;
            }
            // Report the worst violation; with both bounds, whichever side is further out.
            let below = bounds.min.map(|m| m - lo).unwrap_or(f64::NEG_INFINITY);
            let above = bounds.max.map(|m| hi - m).unwrap_or(f64::NEG_INFINITY);
            Some(if below >= above { lo } else { hi })
        }
        RepPoint::Range => {
            let lo = window().fold(f64::INFINITY, f64::min);
            let hi = window().fold(f64::NEG_INFINITY, f64::max);
            lo.is_finite().then_some(hi - lo)
        }
        RepPoint::Duration => None,
    }
}

fn nearest_present(s: &[Option<f64>], i: usize) -> Option<f64> {
    (0..s.len()).find_map(|d| {
        s.get(i + d)
            .copied()
            .flatten()
            .or_else(|| i.checked_sub(d).and_then(|j| s[j]))
    })
}

/// The analyses of one rep, in definition order.
pub fn rep_analyses(
    rep: &RepSpan,
    specs: &[AnalysisSpec],
    cache: &SignalCache,
    times_s: &[f64],
) -> Vec<RepAnalysis> {
    specs
        .iter()
        .map(|a| {
            let good = a.good.clone().unwrap_or_default();
            let v = read_at(
                rep,
                a.at,
                a.signal.as_ref().and_then(|s| cache.get(s)),
                times_s,
                &good,
            );
            let opinion = match (&a.good, v) {
                (Some(g), Some(v)) if g.contains(v) => Opinion::Good,
                (Some(_), Some(_)) => Opinion::Bad,
                _ => Opinion::Unspecified,
            };
            RepAnalysis {
                analysis_type: a.analysis_type.clone(),
                scalar: v.map(round2),
                opinion: opinion as i32,
            }
        })
        .collect()
}

/// Pass/fail of each form check on one rep (`None` = could not be evaluated).
pub fn rep_checks(
    rep: &RepSpan,
    checks: &[FormCheck],
    cache: &SignalCache,
    times_s: &[f64],
) -> Vec<Option<bool>> {
    checks
        .iter()
        .map(|c| {
            let b = Bounds {
                min: c.rule.min,
                max: c.rule.max,
            };
            read_at(
                rep,
                c.rule.at,
                c.rule.signal.as_ref().and_then(|s| cache.get(s)),
                times_s,
                &b,
            )
            .map(|v| b.contains(v))
        })
        .collect()
}

/// Aggregates per-rep results into violation records and a weighted form score.
pub fn aggregate(
    checks: &[FormCheck],
    per_rep: &[Vec<Option<bool>>],
) -> (Vec<FormViolation>, Option<f64>) {
    let mut violations = Vec::with_capacity(checks.len());
    let (mut weighted_pass, mut total_weight) = (0.0, 0.0);
    for (k, c) in checks.iter().enumerate() {
        let results: Vec<bool> = per_rep
            .iter()
            .filter_map(|r| r.get(k).copied().flatten())
            .collect();
        let total = results.len() as u32;
        let violated = results.iter().filter(|ok| !**ok).count() as u32;
        let rate = if total > 0 {
            violated as f64 / total as f64
        } else {
            0.0
        };
        if total > 0 {
            weighted_pass += c.weight * (1.0 - rate);
            total_weight += c.weight;
        }
        violations.push(FormViolation {
            key: c.key.clone(),
            label: c.label.clone(),
            label_zh: c.label_zh.clone(),
            weight: c.weight,
            total_checks: total,
            violation_count: violated,
            violation_rate: round4(rate),
        });
    }
    let score = (total_weight > 0.0).then(|| round4(weighted_pass / total_weight));
    (violations, score)
}

/// Seconds spent leaving and returning to the start position, as (eccentric, concentric).
pub fn tempo(rep: &RepSpan, rules: &RepRules, times_s: &[f64]) -> (f64, f64) {
    let out = times_s[rep.mid] - times_s[rep.start];
    let back = times_s[rep.end] - times_s[rep.mid];
    if rules.first_half_concentric {
        (back, out)
    } else {
        (out, back)
    }
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

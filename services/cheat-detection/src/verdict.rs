//! Turns check outcomes into the combined report: weights, score, risk band and the
//! tenant's blocking policy.
//!
//! Combined score (documented contract):
//!   score = 100 * (1 - prod_i (1 - w_i * s_i / 100))
//! a "noisy OR" of the weighted check scores: one check at 100 with weight 1 gives 100,
//! independent weak suspicions add up but never exceed 100, and a check at 0 changes
//! nothing. Weights say how strongly a check alone means "not a fair recording":
//!   multiple_people 1.0, manipulation 1.0 (someone else in frame / edited time are
//!   disqualifying), camera_consistency 0.9 (cuts are; a single zoom change may be honest),
//!   text_overlay 0.6 (branding and watermarks are common on honest uploads; counters and
//!   captions score high enough to block on their own).
//! Risk bands on the combined score: LOW < 40 <= MEDIUM < 70 <= HIGH.
//! Blocked when score >= policy.block_score (default 40) or risk >= policy.block_risk
//! (default MEDIUM).

use fitvision_proto::v1::{AuthenticityCheck, AuthenticityReport, BlockingPolicy, RiskLevel};

use crate::checks::{
    CAMERA_CONSISTENCY, CheckOutcome, MANIPULATION, MULTIPLE_PEOPLE, TEXT_OVERLAY,
};

pub const DEFAULT_BLOCK_SCORE: f64 = 40.0;
pub const DEFAULT_BLOCK_RISK: RiskLevel = RiskLevel::Medium;
pub const MEDIUM_RISK_FROM: f64 = 40.0;
pub const HIGH_RISK_FROM: f64 = 70.0;

/// Weight of a check in the combined score.
pub fn weight(check: &str) -> f64 {
    match check {
        MULTIPLE_PEOPLE | MANIPULATION => 1.0,
        CAMERA_CONSISTENCY => 0.9,
        TEXT_OVERLAY => 0.6,
        _ => 0.5,
    }
}

/// Effective thresholds: the request's policy with unset fields replaced by defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub block_score: f64,
    pub block_risk: RiskLevel,
}

impl Policy {
    pub fn from_request(policy: Option<&BlockingPolicy>) -> Self {
        let block_score = policy
            .map(|p| p.block_score)
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(DEFAULT_BLOCK_SCORE);
        let block_risk = policy
            .and_then(|p| RiskLevel::try_from(p.block_risk).ok())
            .filter(|r| *r != RiskLevel::Unspecified)
            .unwrap_or(DEFAULT_BLOCK_RISK);
        Self {
            block_score,
            block_risk,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::from_request(None)
    }
}

pub fn risk_level(score: f64) -> RiskLevel {
    if score >= HIGH_RISK_FROM {
        RiskLevel::High
    } else if score >= MEDIUM_RISK_FROM {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    }
}

fn risk_name(risk: RiskLevel) -> &'static str {
    match risk {
        RiskLevel::High => "HIGH",
        RiskLevel::Medium => "MEDIUM",
        RiskLevel::Low => "LOW",
        RiskLevel::Unspecified => "UNSPECIFIED",
    }
}

/// Combines outcomes into the report under `policy`.
pub fn report(outcomes: Vec<CheckOutcome>, policy: Policy) -> AuthenticityReport {
    let keep = outcomes
        .iter()
        .map(|o| 1.0 - weight(o.check) * o.score / 100.0)
        .product::<f64>();
    let score = (100.0 * (1.0 - keep)).clamp(0.0, 100.0);
    let risk = risk_level(score);
    let blocked = score >= policy.block_score || (risk as i32) >= (policy.block_risk as i32);
    let flagged: Vec<&CheckOutcome> = outcomes.iter().filter(|o| o.flagged).collect();
    let summary = if flagged.is_empty() {
        format!(
            "{} risk ({score:.0}/100): no check flagged",
            risk_name(risk)
        )
    } else {
        let parts: Vec<String> = flagged
            .iter()
            .map(|o| format!("{}: {}", o.check, o.reason))
            .collect();
        format!(
            "{} risk ({score:.0}/100){}: {}",
            risk_name(risk),
            if blocked { ", blocked" } else { "" },
            parts.join("; ")
        )
    };
    let checks = outcomes
        .into_iter()
        .map(|o| AuthenticityCheck {
            weight: weight(o.check),
            check: o.check.to_string(),
            score: o.score,
            flagged: o.flagged,
            reason: o.reason,
            evidence: o.evidence,
        })
        .collect();
    AuthenticityReport {
        score,
        risk_level: risk as i32,
        blocked,
        checks,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(check: &'static str, score: f64) -> CheckOutcome {
        CheckOutcome::new(check, score, format!("{check} {score}"), Vec::new())
    }

    #[test]
    fn all_clear_is_low_and_passes() {
        let r = report(
            vec![
                outcome(CAMERA_CONSISTENCY, 0.0),
                outcome(TEXT_OVERLAY, 0.0),
                outcome(MULTIPLE_PEOPLE, 0.0),
            ],
            Policy::default(),
        );
        assert_eq!(r.score, 0.0);
        assert_eq!(r.risk_level, RiskLevel::Low as i32);
        assert!(!r.blocked);
        assert_eq!(r.checks[1].weight, 0.6);
    }

    #[test]
    fn noisy_or_combination_is_exact() {
        // 1 - (1 - 0.9*0.5)(1 - 0.6*0.5) = 1 - 0.55*0.7 = 0.615
        let r = report(
            vec![
                outcome(CAMERA_CONSISTENCY, 50.0),
                outcome(TEXT_OVERLAY, 50.0),
            ],
            Policy::default(),
        );
        assert!((r.score - 61.5).abs() < 1e-9, "{}", r.score);
        assert_eq!(r.risk_level, RiskLevel::Medium as i32);
        assert!(r.blocked);
    }

    #[test]
    fn one_full_people_check_is_high_and_blocked() {
        let r = report(
            vec![outcome(MULTIPLE_PEOPLE, 100.0), outcome(MANIPULATION, 0.0)],
            Policy::default(),
        );
        assert_eq!(r.score, 100.0);
        assert_eq!(r.risk_level, RiskLevel::High as i32);
        assert!(r.blocked);
        assert!(r.summary.contains("multiple_people"), "{}", r.summary);
    }

    #[test]
    fn tenant_policy_overrides_defaults() {
        let lenient = Policy::from_request(Some(&BlockingPolicy {
            block_score: 80.0,
            block_risk: RiskLevel::High as i32,
        }));
        // 0.6 * 100 = 60: MEDIUM, blocked by default, not by this tenant.
        let r = report(vec![outcome(TEXT_OVERLAY, 100.0)], lenient);
        assert_eq!(r.risk_level, RiskLevel::Medium as i32);
        assert!(!r.blocked);
        assert!(report(vec![outcome(TEXT_OVERLAY, 100.0)], Policy::default()).blocked);
        let unset = Policy::from_request(Some(&BlockingPolicy::default()));
        assert_eq!(unset, Policy::default());
    }
}

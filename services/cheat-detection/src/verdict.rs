//! Turns check outcomes into the combined report: weights, score, risk band and the
//! tenant's blocking policy.
//!
//! Combined score (documented contract):
//!   score = 100 * (1 - (1 - max_u w_u * s_u / 100) * prod_f (1 - w_f * s_f / 100))
//! a "noisy OR" of the weighted scores of the flagged checks f (score >= 50, the line from
//! which a check itself says "suspicious"), joined by the strongest of the unflagged
//! checks u: one check at 100 with weight 1 gives 100, independent suspicions add up but
//! never exceed 100, and a check at 0 changes nothing. Findings below the flag line are
//! reported for a reviewer (a static watermark, one pose glitch against gravity, a title
//! card) and do not add up among themselves: a watermark and a glitch are not together
//! evidence of an edit, and an honest athlete must not be blocked for them. Weights say
//! how strongly a check alone means "not a fair recording":
//!   multiple_people 1.0, manipulation 1.0 (someone else in frame / edited time are
//!   disqualifying), camera_consistency 0.9 (cuts are; a single zoom change may be honest),
//!   text_overlay 0.6 (branding and watermarks are common on honest uploads; counters and
//!   captions score high enough to block on their own).
//! Risk bands on the combined score: LOW < 40 <= MEDIUM < 70 <= HIGH.
//! Over the thresholds when score >= policy.block_score (default 40) or risk >=
//! policy.block_risk (default MEDIUM). What that does is the policy's mode: BLOCK (the
//! default) blocks the video; FLAG only flags it (`over_threshold`), `blocked` stays
//! false and the analysis runs. The report records the policy it was made under.

use fitvision_proto::blocking;
use fitvision_proto::v1::{
    AuthenticityCheck, AuthenticityReport, BlockingMode, BlockingPolicy, RiskLevel,
};

use crate::checks::{
    CAMERA_CONSISTENCY, CheckOutcome, MANIPULATION, MULTIPLE_PEOPLE, TEXT_OVERLAY,
};

pub use blocking::{DEFAULT_BLOCK_RISK, DEFAULT_BLOCK_SCORE};
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

/// The policy in force: the request's policy with unset fields replaced by defaults
/// ([`fitvision_proto::blocking::effective`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub block_score: f64,
    pub block_risk: RiskLevel,
    pub mode: BlockingMode,
}

impl Policy {
    pub fn from_request(policy: Option<&BlockingPolicy>) -> Self {
        let effective = blocking::effective(policy);
        Self {
            block_score: effective.block_score,
            block_risk: effective.block_risk(),
            mode: effective.mode(),
        }
    }

    /// As recorded in the report.
    pub fn to_proto(self) -> BlockingPolicy {
        BlockingPolicy {
            block_score: self.block_score,
            block_risk: self.block_risk as i32,
            mode: self.mode as i32,
        }
    }

    /// Whether a verdict of `score` and `risk` reaches the thresholds.
    pub fn over_threshold(&self, score: f64, risk: RiskLevel) -> bool {
        score >= self.block_score || (risk as i32) >= (self.block_risk as i32)
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
    let weighted = |o: &CheckOutcome| weight(o.check) * o.score / 100.0;
    let strongest_unflagged = outcomes
        .iter()
        .filter(|o| !o.flagged)
        .map(weighted)
        .fold(0.0_f64, f64::max);
    let keep = (1.0 - strongest_unflagged)
        * outcomes
            .iter()
            .filter(|o| o.flagged)
            .map(|o| 1.0 - weighted(o))
            .product::<f64>();
    let score = (100.0 * (1.0 - keep)).clamp(0.0, 100.0);
    let risk = risk_level(score);
    let over_threshold = policy.over_threshold(score, risk);
    // FLAG mode never blocks: the verdict travels with the analysis instead.
    let blocked = over_threshold && policy.mode != BlockingMode::Flag;
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
        let action = if blocked {
            ", blocked"
        } else if over_threshold {
            ", flagged (not blocked: the policy's mode is flag)"
        } else {
            ""
        };
        format!(
            "{} risk ({score:.0}/100){action}: {}",
            risk_name(risk),
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
        policy: Some(policy.to_proto()),
        over_threshold,
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
    fn findings_below_the_flag_line_do_not_add_up_to_a_block() {
        // One pose glitch against gravity (35), a static watermark (20) and a small
        // camera wobble (10): each reported, none flagged. The strongest stands: 35.
        let r = report(
            vec![
                outcome(MANIPULATION, 35.0),
                outcome(TEXT_OVERLAY, 20.0),
                outcome(CAMERA_CONSISTENCY, 10.0),
            ],
            Policy::default(),
        );
        assert!((r.score - 35.0).abs() < 1e-9, "{}", r.score);
        assert!(!r.blocked && !r.over_threshold);
        // A flagged check is joined by the strongest unflagged one:
        // 1 - (1 - 0.35)(1 - 0.6*0.9) = 1 - 0.65*0.46 = 0.701.
        let r = report(
            vec![
                outcome(MANIPULATION, 35.0),
                outcome(TEXT_OVERLAY, 90.0),
                outcome(CAMERA_CONSISTENCY, 10.0),
            ],
            Policy::default(),
        );
        assert!((r.score - 70.1).abs() < 1e-9, "{}", r.score);
        assert!(r.blocked);
        // One unflagged check over the block line still blocks on its own (0.9 * 45).
        let r = report(vec![outcome(CAMERA_CONSISTENCY, 45.0)], Policy::default());
        assert!((r.score - 40.5).abs() < 1e-9, "{}", r.score);
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
            mode: BlockingMode::Unspecified as i32,
        }));
        // 0.6 * 100 = 60: MEDIUM, blocked by default, not by this tenant.
        let r = report(vec![outcome(TEXT_OVERLAY, 100.0)], lenient);
        assert_eq!(r.risk_level, RiskLevel::Medium as i32);
        assert!(!r.blocked);
        assert!(report(vec![outcome(TEXT_OVERLAY, 100.0)], Policy::default()).blocked);
        let unset = Policy::from_request(Some(&BlockingPolicy::default()));
        assert_eq!(unset, Policy::default());
    }

    #[test]
    fn default_policy_blocks_and_records_itself() {
        let r = report(vec![outcome(TEXT_OVERLAY, 100.0)], Policy::default());
        assert!(r.blocked && r.over_threshold);
        assert_eq!(
            r.policy,
            Some(BlockingPolicy {
                block_score: 40.0,
                block_risk: RiskLevel::Medium as i32,
                mode: BlockingMode::Block as i32,
            })
        );
        assert!(r.summary.contains(", blocked"), "{}", r.summary);
    }

    #[test]
    fn flag_mode_flags_without_blocking() {
        let flag = Policy::from_request(Some(&BlockingPolicy {
            mode: BlockingMode::Flag as i32,
            ..Default::default()
        }));
        assert_eq!(flag.block_score, DEFAULT_BLOCK_SCORE);
        assert_eq!(flag.block_risk, DEFAULT_BLOCK_RISK);
        // Same verdict as under the default policy, but the video is not blocked.
        let r = report(
            vec![outcome(MULTIPLE_PEOPLE, 100.0), outcome(TEXT_OVERLAY, 0.0)],
            flag,
        );
        assert_eq!(r.score, 100.0);
        assert_eq!(r.risk_level, RiskLevel::High as i32);
        assert!(!r.blocked);
        assert!(r.over_threshold);
        assert_eq!(
            r.policy.as_ref().map(|p| p.mode()),
            Some(BlockingMode::Flag)
        );
        assert!(r.summary.contains("flagged"), "{}", r.summary);
        assert!(!r.summary.contains("blocked,"), "{}", r.summary);
    }

    #[test]
    fn flag_mode_under_the_thresholds_is_neither_flagged_nor_blocked() {
        let flag = Policy::from_request(Some(&BlockingPolicy {
            block_score: 90.0,
            block_risk: RiskLevel::High as i32,
            mode: BlockingMode::Flag as i32,
        }));
        // 0.6 * 100 = 60: MEDIUM, under 90 and under HIGH.
        let r = report(vec![outcome(TEXT_OVERLAY, 100.0)], flag);
        assert!(!r.blocked);
        assert!(!r.over_threshold);
        assert!(!r.summary.contains("flagged ("), "{}", r.summary);
        // The same clip reaches a score threshold of 50 by score alone.
        let strict_score = Policy {
            block_score: 50.0,
            ..flag
        };
        let r = report(vec![outcome(TEXT_OVERLAY, 100.0)], strict_score);
        assert!(r.over_threshold && !r.blocked);
    }

    #[test]
    fn block_mode_under_the_thresholds_passes() {
        let r = report(vec![outcome(TEXT_OVERLAY, 50.0)], Policy::default());
        // 0.6 * 50 = 30: LOW, under 40.
        assert!(!r.blocked && !r.over_threshold);
    }
}

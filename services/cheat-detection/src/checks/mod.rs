//! The four authenticity checks. Each one is a plain function from evidence (pose track,
//! sampled-frame signals, text detections) to a [`CheckOutcome`]; the verdict module turns
//! outcomes into the weighted report.

pub mod body_physics;
pub mod camera;
pub mod manipulation;
pub mod people;
pub mod text;

use fitvision_proto::v1::Evidence;

/// Stable check ids (the `check` field of `AuthenticityCheck`).
pub const CAMERA_CONSISTENCY: &str = "camera_consistency";
pub const TEXT_OVERLAY: &str = "text_overlay";
pub const MULTIPLE_PEOPLE: &str = "multiple_people";
pub const MANIPULATION: &str = "manipulation";

/// Score at or above which a check reports itself as flagged.
pub const FLAG_SCORE: f64 = 50.0;

/// One check's verdict before weighting.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub check: &'static str,
    /// 0..100, higher = more suspicious.
    pub score: f64,
    pub flagged: bool,
    pub reason: String,
    pub evidence: Vec<Evidence>,
}

impl CheckOutcome {
    /// Builds an outcome, clamping the score and deriving `flagged` from [`FLAG_SCORE`].
    pub fn new(check: &'static str, score: f64, reason: String, evidence: Vec<Evidence>) -> Self {
        // Rounded to 1e-6 so that exact thresholds are not missed by float noise.
        let score = if score.is_finite() {
            (score.clamp(0.0, 100.0) * 1e6).round() / 1e6 + 0.0
        } else {
            0.0
        };
        Self {
            check,
            score,
            flagged: score >= FLAG_SCORE,
            reason,
            evidence,
        }
    }

    /// A check that could not look at anything (e.g. no frames): score 0 with the reason.
    pub fn not_assessed(check: &'static str, reason: impl Into<String>) -> Self {
        Self::new(check, 0.0, reason.into(), Vec::new())
    }
}

/// One sub-finding of a check (a check whose evidence has several independent parts
/// scores the strongest): its score, a one-line summary and its evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Finding {
    pub score: f64,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Evidence for a frame range.
pub fn evidence(start: (u32, f64), end: (u32, f64), detail: impl Into<String>) -> Evidence {
    Evidence {
        start_frame_index: start.0,
        end_frame_index: end.0,
        start_timestamp_ms: start.1,
        end_timestamp_ms: end.1,
        detail: detail.into(),
    }
}

/// Formats milliseconds as seconds with one decimal, for reasons and evidence.
pub fn secs(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}

//! Small conversions shared by the API families.

use chrono::{DateTime, Utc};
use fitvision_proto::v1::{
    AuthenticityReport, RiskLevel, Session, SessionKind, Video, VideoStatus,
};
use serde_json::{Value, json};

use crate::routes::admin::PolicyView;

/// Protobuf timestamp as UTC time.
pub fn to_datetime(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let ts = ts?;
    DateTime::from_timestamp(ts.seconds, ts.nanos.max(0) as u32)
}

/// RFC 3339 with seconds precision and `Z` (AI Move `createdAt`).
pub fn iso_seconds(ts: Option<&prost_types::Timestamp>) -> Option<String> {
    to_datetime(ts).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// RFC 3339 with milliseconds and `Z` (AI Move records).
pub fn iso_millis(ts: Option<&prost_types::Timestamp>) -> Option<String> {
    to_datetime(ts).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// The Weightlifting API's `created_at`: `{date: DD/MM/YYYY, time: HH:MM AM/PM}` (UTC).
pub fn created_at_parts(ts: Option<&prost_types::Timestamp>) -> Value {
    let t = to_datetime(ts).unwrap_or_default();
    json!({ "date": t.format("%d/%m/%Y").to_string(), "time": t.format("%I:%M %p").to_string() })
}

/// `DD/MM/YYYY` (UTC).
pub fn date_dmy(ts: Option<&prost_types::Timestamp>) -> String {
    to_datetime(ts)
        .unwrap_or_default()
        .format("%d/%m/%Y")
        .to_string()
}

pub fn risk_level_name(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Low => "LOW",
        RiskLevel::Medium => "MEDIUM",
        RiskLevel::High => "HIGH",
        RiskLevel::Unspecified => "UNKNOWN",
    }
}

/// The AI Exercise Trainer API's `cheat_detection`: score, risk_level, blocked and
/// one entry per check, plus `over_threshold` (the verdict reached the policy's
/// thresholds: the flag of a `flag` policy) and `policy`, the tenant's policy the
/// verdict was made under.
pub fn cheat_detection(report: Option<&AuthenticityReport>) -> Value {
    let Some(report) = report else {
        return json!({ "score": Value::Null, "risk_level": "UNKNOWN", "blocked": false, "over_threshold": false, "checks": [], "summary": "not checked", "policy": Value::Null });
    };
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|check| {
            json!({
                "check": check.check,
                "score": check.score,
                "flagged": check.flagged,
                "passed": !check.flagged,
                "reason": check.reason,
                "weight": check.weight,
                "evidence": check.evidence.iter().map(|e| json!({
                    "start_frame": e.start_frame_index,
                    "end_frame": e.end_frame_index,
                    "start_time_s": e.start_timestamp_ms / 1000.0,
                    "end_time_s": e.end_timestamp_ms / 1000.0,
                    "detail": e.detail,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "score": report.score,
        "risk_level": risk_level_name(report.risk_level()),
        "blocked": report.blocked,
        // Reports stored before policies were recorded: blocked was the verdict.
        "over_threshold": report.over_threshold || report.blocked,
        "checks": checks,
        "summary": report.summary,
        "policy": report.policy.as_ref().map(PolicyView::of),
    })
}

/// The session's most recent video (single-video families).
pub fn primary_video(session: &Session) -> Option<&Video> {
    session
        .videos
        .iter()
        .max_by_key(|v| v.created_at.as_ref().map(|t| (t.seconds, t.nanos)))
}

pub fn video_status_name(status: VideoStatus) -> &'static str {
    match status {
        VideoStatus::Unspecified => "unknown",
        VideoStatus::AwaitingUpload => "awaiting_upload",
        VideoStatus::Queued => "queued",
        VideoStatus::Processing => "processing",
        VideoStatus::Complete => "completed",
        VideoStatus::Failed => "failed",
        VideoStatus::Blocked => "blocked",
    }
}

/// Activity families of the Weightlifting and Retrieval APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Weightlifting,
    Jumping,
    Running,
}

impl Activity {
    pub const ALL: [Activity; 3] = [
        Activity::Weightlifting,
        Activity::Jumping,
        Activity::Running,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Activity::Weightlifting => "weightlifting",
            Activity::Jumping => "jumping",
            Activity::Running => "running",
        }
    }

    /// The documented `activity` value.
    pub fn title(self) -> &'static str {
        match self {
            Activity::Weightlifting => "Weightlifting",
            Activity::Jumping => "Jumping",
            Activity::Running => "Running",
        }
    }

    pub fn kind(self) -> SessionKind {
        match self {
            Activity::Weightlifting => SessionKind::Weightlifting,
            Activity::Jumping => SessionKind::Jumping,
            Activity::Running => SessionKind::Running,
        }
    }

    pub fn from_kind(kind: SessionKind) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.kind() == kind)
    }

    /// Accepted `exercise_name` values.
    pub fn exercises(self) -> &'static [&'static str] {
        match self {
            Activity::Weightlifting => &["snatch", "clean", "clean_and_jerk"],
            Activity::Jumping => &[
                "vertical_jump",
                "broad_jump",
                "countermovement_jump",
                "squat_jump",
                "drop_jump",
            ],
            Activity::Running => &["sprint", "run"],
        }
    }
}

/// Human title from a snake_case id: `clean_and_jerk` -> `Clean And Jerk`.
pub fn title_case(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_at_uses_documented_formats() {
        // 2025-02-05T18:00:00Z
        let ts = prost_types::Timestamp {
            seconds: 1_738_778_400,
            nanos: 0,
        };
        assert_eq!(
            created_at_parts(Some(&ts)),
            json!({"date": "05/02/2025", "time": "06:00 PM"})
        );
        assert_eq!(iso_seconds(Some(&ts)).unwrap(), "2025-02-05T18:00:00Z");
        assert_eq!(iso_millis(Some(&ts)).unwrap(), "2025-02-05T18:00:00.000Z");
    }

    #[test]
    fn title_case_words() {
        assert_eq!(title_case("clean_and_jerk"), "Clean And Jerk");
        assert_eq!(title_case("snatch"), "Snatch");
    }
}

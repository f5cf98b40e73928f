//! Generated contracts of the fitvision suite.
//!
//! Everything lives in [`v1`] (protobuf package `fitvision.v1`);
//! [`FILE_DESCRIPTOR_SET`] feeds gRPC server reflection.

/// Protobuf package `fitvision.v1`.
pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("fitvision.v1");
}

/// Encoded `FileDescriptorSet` of every `.proto` in `proto/`, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/fitvision_descriptor.bin"));

/// Names of the gRPC services, as reflection and health report them.
pub mod service_names {
    pub const SESSION: &str = "fitvision.v1.SessionService";
    pub const POSE_INFERENCE: &str = "fitvision.v1.PoseInferenceService";
    pub const CHEAT_DETECTION: &str = "fitvision.v1.CheatDetectionService";
    pub const EXERCISE_METRICS: &str = "fitvision.v1.ExerciseMetricsService";
    pub const COACHING: &str = "fitvision.v1.CoachingService";
    pub const LIVE_ANALYSIS: &str = "fitvision.v1.LiveAnalysisService";
}

/// Session attributes (`Session.attributes`) the suite itself reads.
pub mod session_attributes {
    /// The pose model that analyses the session's videos (a `ListModels` id; checked
    /// when set). Absent: the tenant's `pose_model_id`, else the deployment's default.
    pub const POSE_MODEL: &str = "pose_model";
}

/// The authenticity policy's contract (`BlockingPolicy` in common.proto): its
/// defaults, the policy in force for a request, and what an admin may set.
/// One place for cheat-detection (which applies it), session (which stores it
/// per tenant) and the edge (which shows it).
pub mod blocking {
    use crate::v1::{BlockingMode, BlockingPolicy, RiskLevel};

    /// Over the thresholds at this combined score unless a tenant says otherwise.
    pub const DEFAULT_BLOCK_SCORE: f64 = 40.0;
    /// Over the thresholds at this risk unless a tenant says otherwise.
    pub const DEFAULT_BLOCK_RISK: RiskLevel = RiskLevel::Medium;
    /// What a verdict over the thresholds does unless a tenant says otherwise.
    pub const DEFAULT_MODE: BlockingMode = BlockingMode::Block;

    /// The policy in force for `policy`: zero, unknown or unusable fields (and
    /// an absent policy) replaced by the defaults, so every field is set.
    pub fn effective(policy: Option<&BlockingPolicy>) -> BlockingPolicy {
        let block_score = policy
            .map(|p| p.block_score)
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(DEFAULT_BLOCK_SCORE);
        let block_risk = policy
            .and_then(|p| RiskLevel::try_from(p.block_risk).ok())
            .filter(|r| *r != RiskLevel::Unspecified)
            .unwrap_or(DEFAULT_BLOCK_RISK);
        let mode = policy
            .and_then(|p| BlockingMode::try_from(p.mode).ok())
            .filter(|m| *m != BlockingMode::Unspecified)
            .unwrap_or(DEFAULT_MODE);
        BlockingPolicy {
            block_score,
            block_risk: block_risk as i32,
            mode: mode as i32,
        }
    }

    /// Whether an admin may set `policy`: `Err` says what is wrong. Zero fields
    /// are fine (they mean the default); a score outside 0..=100, a risk of
    /// LOW (every video would be over the thresholds) and unknown enum numbers
    /// are not.
    pub fn validate(policy: &BlockingPolicy) -> Result<(), String> {
        let mut problems = Vec::new();
        if !(policy.block_score.is_finite() && (0.0..=100.0).contains(&policy.block_score)) {
            problems.push(format!(
                "block_score must be within 0..100 (0 = default {DEFAULT_BLOCK_SCORE}), got {}",
                policy.block_score
            ));
        }
        match RiskLevel::try_from(policy.block_risk) {
            Ok(RiskLevel::Unspecified | RiskLevel::Medium | RiskLevel::High) => {}
            Ok(RiskLevel::Low) => problems.push(
                "block_risk LOW would put every video over the thresholds: use MEDIUM or HIGH"
                    .to_owned(),
            ),
            Err(_) => problems.push(format!(
                "block_risk {} is not a risk level (MEDIUM or HIGH)",
                policy.block_risk
            )),
        }
        if BlockingMode::try_from(policy.mode).is_err() {
            problems.push(format!(
                "mode {} is not a blocking mode (BLOCK or FLAG)",
                policy.mode
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn absent_and_zero_policies_take_every_default() {
            let defaults = BlockingPolicy {
                block_score: 40.0,
                block_risk: RiskLevel::Medium as i32,
                mode: BlockingMode::Block as i32,
            };
            assert_eq!(effective(None), defaults);
            assert_eq!(effective(Some(&BlockingPolicy::default())), defaults);
            let flag = BlockingPolicy {
                mode: BlockingMode::Flag as i32,
                ..Default::default()
            };
            assert_eq!(
                effective(Some(&flag)),
                BlockingPolicy {
                    mode: BlockingMode::Flag as i32,
                    ..defaults
                }
            );
        }

        #[test]
        fn set_values_are_kept() {
            let policy = BlockingPolicy {
                block_score: 75.0,
                block_risk: RiskLevel::High as i32,
                mode: BlockingMode::Flag as i32,
            };
            assert_eq!(effective(Some(&policy)), policy);
            assert_eq!(validate(&policy), Ok(()));
        }

        #[test]
        fn out_of_range_values_are_refused() {
            for score in [-1.0, 100.5, f64::NAN, f64::INFINITY] {
                let policy = BlockingPolicy {
                    block_score: score,
                    ..Default::default()
                };
                assert!(validate(&policy).unwrap_err().contains("block_score"));
            }
            let low = BlockingPolicy {
                block_risk: RiskLevel::Low as i32,
                ..Default::default()
            };
            assert!(validate(&low).unwrap_err().contains("LOW"));
            let unknown = BlockingPolicy {
                block_risk: 9,
                mode: 7,
                ..Default::default()
            };
            let message = validate(&unknown).unwrap_err();
            assert!(message.contains("block_risk 9") && message.contains("mode 7"));
            assert_eq!(validate(&BlockingPolicy::default()), Ok(()));
            assert_eq!(
                validate(&BlockingPolicy {
                    block_score: 100.0,
                    ..Default::default()
                }),
                Ok(())
            );
        }
    }
}

/// How session and thread statuses are spelled outside the contract: in the AI Move
/// API's JSON (`created`, `in-progress`, ...) and in the session database, which stores
/// that spelling. One table for the session service and the edge.
pub mod statuses {
    use crate::v1::{SessionStatus, ThreadStatus};

    /// Every settable session status with its spelling, in lifecycle order.
    pub const SESSION: [(SessionStatus, &str); 5] = [
        (SessionStatus::Created, "created"),
        (SessionStatus::InProgress, "in-progress"),
        (SessionStatus::Completed, "completed"),
        (SessionStatus::Failed, "failed"),
        (SessionStatus::Abandoned, "abandoned"),
    ];

    /// Every thread status with its spelling.
    pub const THREAD: [(ThreadStatus, &str); 3] = [
        (ThreadStatus::Pending, "pending"),
        (ThreadStatus::Complete, "complete"),
        (ThreadStatus::Failed, "failed"),
    ];

    /// The spelling of `status` in `table` (`""` when it has none, e.g. unspecified).
    fn name_in<T: PartialEq + Copy>(table: &[(T, &'static str)], status: T) -> &'static str {
        table
            .iter()
            .find(|(s, _)| *s == status)
            .map_or("", |(_, name)| name)
    }

    /// The status spelled `name` in `table`, if it is one.
    fn status_in<T: Copy>(table: &[(T, &'static str)], name: &str) -> Option<T> {
        table.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }

    /// The spelling of a session status (`""` for unspecified).
    pub fn session_name(status: SessionStatus) -> &'static str {
        name_in(&SESSION, status)
    }

    /// The session status spelled `name`, if it is one.
    pub fn session_from_name(name: &str) -> Option<SessionStatus> {
        status_in(&SESSION, name)
    }

    /// The spelling of a session status given as its contract number (`""` when unknown).
    pub fn session_name_of(status: i32) -> &'static str {
        SessionStatus::try_from(status).map_or("", session_name)
    }

    /// The spelling of a thread status (`""` for unspecified).
    pub fn thread_name(status: ThreadStatus) -> &'static str {
        name_in(&THREAD, status)
    }

    /// The thread status spelled `name`, if it is one.
    pub fn thread_from_name(name: &str) -> Option<ThreadStatus> {
        status_in(&THREAD, name)
    }

    /// The spelling of a thread status given as its contract number (`""` when unknown).
    pub fn thread_name_of(status: i32) -> &'static str {
        ThreadStatus::try_from(status).map_or("", thread_name)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn every_spelling_reads_back_as_its_status() {
            for (status, name) in SESSION {
                assert_eq!(session_from_name(name), Some(status));
                assert_eq!(session_name_of(status as i32), name);
            }
            for (status, name) in THREAD {
                assert_eq!(thread_from_name(name), Some(status));
                assert_eq!(thread_name_of(status as i32), name);
            }
            assert_eq!(session_from_name("running"), None);
            assert_eq!(session_name(SessionStatus::Unspecified), "");
        }
    }
}

/// Topic strings of the coaching contract (`CreateThreadsRequest.topics`,
/// `FeedbackRequest.topic`) that the Weightlifting API exposes: the edge offers them, the
/// coaching service writes about them. One list for both.
pub mod topics {
    /// Summary blocks of the Weightlifting API's `summary/` endpoint.
    pub const LIFT_SUMMARY: [&str; 4] = ["velocity", "power", "stability", "final_summary"];

    /// Lift-analysis metrics of the Weightlifting API's `recommendation/` endpoint, in
    /// the order the API lists them.
    pub const LIFT_METRICS: [&str; 12] = [
        "power_output",
        "ground_reaction_force",
        "barbell_velocity",
        "hip_velocity",
        "shin_angle",
        "hip_height",
        "torso_angle",
        "hip_angle",
        "knee_angle",
        "bar_height",
        "barbell_trajectory",
        "vertical_shoulder_height",
    ];
}

/// Languages the coach writes in (`language` of `CreateThreadsRequest` and
/// `GenerateFeedbackRequest`, a BCP-47 tag): the session service refuses others, the
/// edge negotiates `Accept-Language` among them, the coaching service writes them.
pub mod languages {
    /// Primary language subtags, the default first.
    pub const SUPPORTED: [&str; 2] = ["en", "zh"];

    /// The supported language of a BCP-47 tag by its primary subtag (`zh-Hant-TW` is
    /// `zh`, `EN_us` is `en`); the empty tag is the default. `None`: not supported.
    pub fn supported(tag: &str) -> Option<&'static str> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if primary.is_empty() {
            return Some(SUPPORTED[0]);
        }
        SUPPORTED.into_iter().find(|s| *s == primary)
    }

    /// The supported language an HTTP `Accept-Language` header prefers most
    /// (`zh-TW,zh;q=0.9,en;q=0.8` is `zh`), `None` when it names none of them
    /// (`*` and weights of 0 do not choose one).
    pub fn negotiate(accept_language: &str) -> Option<&'static str> {
        let mut ranked: Vec<(f64, usize, &'static str)> = accept_language
            .split(',')
            .enumerate()
            .filter_map(|(order, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f64>().ok())
                    .unwrap_or(1.0);
                let language = (!tag.is_empty() && tag != "*").then(|| supported(tag))??;
                (weight > 0.0).then_some((weight, order, language))
            })
            .collect();
        // Highest weight first; equal weights keep the header's order.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn tags_are_read_by_their_primary_subtag() {
            assert_eq!(supported(""), Some("en"));
            assert_eq!(supported("zh-Hant-TW"), Some("zh"));
            assert_eq!(supported("EN_us"), Some("en"));
            assert_eq!(supported("fr"), None);
        }

        #[test]
        fn accept_language_picks_the_most_preferred_supported_language() {
            assert_eq!(negotiate("zh-TW,zh;q=0.9,en;q=0.8"), Some("zh"));
            assert_eq!(negotiate("fr-FR, en;q=0.5, zh;q=0.7"), Some("zh"));
            assert_eq!(negotiate("de, en;q=0.3"), Some("en"));
            assert_eq!(negotiate("de, fr;q=0.9"), None);
            assert_eq!(negotiate("*"), None);
            assert_eq!(negotiate("zh;q=0, en;q=0.1"), Some("en"));
            assert_eq!(negotiate(""), None);
        }
    }
}

//! What a piece of feedback is about.

use std::fmt;

use fitvision_exercise_engine::names::series;

use crate::language::Language;

/// One lift-analysis metric of the Weightlifting API's `recommendation/` endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LiftMetric {
    PowerOutput,
    GroundReactionForce,
    BarbellVelocity,
    HipVelocity,
    ShinAngle,
    HipHeight,
    TorsoAngle,
    HipAngle,
    KneeAngle,
    BarHeight,
    BarbellTrajectory,
    VerticalShoulderHeight,
}

impl LiftMetric {
    /// Every metric, in the order the Weightlifting API lists them.
    pub const ALL: [Self; 12] = [
        Self::PowerOutput,
        Self::GroundReactionForce,
        Self::BarbellVelocity,
        Self::HipVelocity,
        Self::ShinAngle,
        Self::HipHeight,
        Self::TorsoAngle,
        Self::HipAngle,
        Self::KneeAngle,
        Self::BarHeight,
        Self::BarbellTrajectory,
        Self::VerticalShoulderHeight,
    ];

    /// The Weightlifting API's identifier, also the topic string (the contract's list,
    /// in the same order as [`Self::ALL`]).
    pub fn id(self) -> &'static str {
        fitvision_proto::topics::LIFT_METRICS[self as usize]
    }

    /// Series keys that may hold this metric in `AnalysisResult.series`, the
    /// exercise engine's name first (its lift analyser writes [`series::BAR_VELOCITY`]
    /// and [`series::BARBELL_TRAJECTORY_X`]), then the Weightlifting API's and other
    /// reasonable names.
    pub fn series_keys(self) -> &'static [&'static str] {
        match self {
            Self::PowerOutput => &[series::POWER_OUTPUT, "power", "bar_power"],
            Self::GroundReactionForce => &[series::GROUND_REACTION_FORCE, "grf"],
            Self::BarbellVelocity => &[series::BAR_VELOCITY, "barbell_velocity", series::BAR_SPEED],
            Self::HipVelocity => &[series::HIP_VELOCITY, "hip_speed"],
            Self::ShinAngle => &[series::SHIN_ANGLE, "left_shin_angle", "right_shin_angle"],
            Self::HipHeight => &[series::HIP_HEIGHT],
            Self::TorsoAngle => &[series::TORSO_ANGLE, series::TRUNK_ANGLE],
            Self::HipAngle => &[
                series::HIP_ANGLE,
                series::LEFT_HIP_ANGLE,
                series::RIGHT_HIP_ANGLE,
            ],
            Self::KneeAngle => &[
                series::KNEE_ANGLE,
                series::LEFT_KNEE_ANGLE,
                series::RIGHT_KNEE_ANGLE,
            ],
            Self::BarHeight => &[series::BAR_HEIGHT, "barbell_height"],
            Self::BarbellTrajectory => &[
                series::BARBELL_TRAJECTORY_X,
                "barbell_trajectory",
                "bar_trajectory_x",
                "bar_x",
            ],
            Self::VerticalShoulderHeight => &[series::VERTICAL_SHOULDER_HEIGHT, "shoulder_height"],
        }
    }

    /// Name in running text.
    pub fn label(self, language: Language) -> &'static str {
        let (english, chinese) = match self {
            Self::PowerOutput => ("power output", "功率输出"),
            Self::GroundReactionForce => ("ground reaction force", "地面反作用力"),
            Self::BarbellVelocity => ("bar velocity", "杠铃速度"),
            Self::HipVelocity => ("hip velocity", "髋部速度"),
            Self::ShinAngle => ("shin angle", "小腿角度"),
            Self::HipHeight => ("hip height", "髋部高度"),
            Self::TorsoAngle => ("torso angle", "躯干角度"),
            Self::HipAngle => ("hip angle", "髋关节角度"),
            Self::KneeAngle => ("knee angle", "膝关节角度"),
            Self::BarHeight => ("bar height", "杠铃高度"),
            Self::BarbellTrajectory => ("horizontal bar path", "杠铃水平轨迹"),
            Self::VerticalShoulderHeight => ("shoulder height", "肩部高度"),
        };
        language.pick(english, chinese)
    }
}

/// A feedback topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Per-exercise coaching (the AI Exercise Trainer API's generate-ai-analysis).
    Overall,
    /// The Weightlifting API's summary blocks.
    Velocity,
    Power,
    Stability,
    FinalSummary,
    /// The Weightlifting API's recommendation threads.
    Lift(LiftMetric),
}

/// A topic string the coach does not know.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown feedback topic {0:?}: use overall, velocity, power, stability, final_summary or a lift metric ({metrics})",
    metrics = LiftMetric::ALL.map(LiftMetric::id).join(", ")
)]
pub struct UnknownTopic(pub String);

impl Topic {
    /// The Weightlifting API's summary blocks, in the contract's order
    /// ([`fitvision_proto::topics::LIFT_SUMMARY`]).
    pub const SUMMARY: [Self; 4] = [
        Self::Velocity,
        Self::Power,
        Self::Stability,
        Self::FinalSummary,
    ];

    pub fn parse(text: &str) -> Result<Self, UnknownTopic> {
        let normalised = text.trim().to_ascii_lowercase().replace('-', "_");
        if normalised.is_empty() || normalised == "overall" {
            return Ok(Self::Overall);
        }
        Self::SUMMARY
            .into_iter()
            .chain(LiftMetric::ALL.map(Self::Lift))
            .find(|topic| topic.id() == normalised)
            .ok_or_else(|| UnknownTopic(text.to_owned()))
    }

    pub fn id(self) -> &'static str {
        let summary = fitvision_proto::topics::LIFT_SUMMARY;
        match self {
            Self::Overall => "overall",
            Self::Velocity => summary[0],
            Self::Power => summary[1],
            Self::Stability => summary[2],
            Self::FinalSummary => summary[3],
            Self::Lift(metric) => metric.id(),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_round_trips() {
        let mut topics = vec![
            Topic::Overall,
            Topic::Velocity,
            Topic::Power,
            Topic::Stability,
            Topic::FinalSummary,
        ];
        topics.extend(LiftMetric::ALL.map(Topic::Lift));
        for topic in topics {
            assert_eq!(Topic::parse(topic.id()).unwrap(), topic);
        }
    }

    #[test]
    fn ids_are_the_contract_lists_in_order() {
        assert_eq!(
            Topic::SUMMARY.map(Topic::id),
            fitvision_proto::topics::LIFT_SUMMARY
        );
        assert_eq!(
            LiftMetric::ALL.map(LiftMetric::id),
            fitvision_proto::topics::LIFT_METRICS
        );
        for (index, metric) in LiftMetric::ALL.into_iter().enumerate() {
            assert_eq!(metric as usize, index, "{metric:?}");
        }
    }

    #[test]
    fn unknown_topic_lists_the_known_ones() {
        let error = Topic::parse("charisma").unwrap_err().to_string();
        assert!(error.contains("charisma") && error.contains("barbell_trajectory"));
    }
}

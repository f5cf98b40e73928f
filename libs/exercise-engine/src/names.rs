//! Names of what an analysis returns: the keys of `AnalysisResult.series` and
//! `AnalysisResult.metrics` and the names of its phases. The engine writes them and
//! the services read them by these constants, so each name is typed once.
//!
//! Metrics named in a definition's `analyses` come from the catalog's JSON and are
//! not listed here.

/// Keys of `AnalysisResult.series`.
pub mod series {
    /// The signal reps were counted on (or the hold was timed on); its unit is the
    /// unit of `Rep.range_of_motion`.
    pub const FOLLOWED_SIGNAL: &str = "followed_signal";

    // Standard angle series of every analysis (see `series::angle_series`), in degrees.
    pub const LEFT_KNEE_ANGLE: &str = "left_knee_angle";
    pub const RIGHT_KNEE_ANGLE: &str = "right_knee_angle";
    pub const LEFT_HIP_ANGLE: &str = "left_hip_angle";
    pub const RIGHT_HIP_ANGLE: &str = "right_hip_angle";
    pub const LEFT_ELBOW_ANGLE: &str = "left_elbow_angle";
    pub const RIGHT_ELBOW_ANGLE: &str = "right_elbow_angle";
    pub const LEFT_SHOULDER_ANGLE: &str = "left_shoulder_angle";
    pub const RIGHT_SHOULDER_ANGLE: &str = "right_shoulder_angle";
    pub const LEFT_ANKLE_ANGLE: &str = "left_ankle_angle";
    pub const RIGHT_ANKLE_ANGLE: &str = "right_ankle_angle";
    /// Trunk inclination.
    pub const TRUNK_ANGLE: &str = "trunk_angle";
    /// Shin inclination (the lift analyser writes its own, smoothed for bar paths).
    pub const SHIN_ANGLE: &str = "shin_angle";

    /// Jumps: ankle rise above the ground, in body units.
    pub const ANKLE_HEIGHT: &str = "ankle_height";

    // Lifts (bar path, forces and the athlete's body), see `analyzers::lift`.
    pub const BAR_HEIGHT: &str = "bar_height";
    pub const BARBELL_TRAJECTORY_X: &str = "barbell_trajectory_x";
    pub const BARBELL_TRAJECTORY_Y: &str = "barbell_trajectory_y";
    /// Vertical bar velocity (signed).
    pub const BAR_VELOCITY: &str = "bar_velocity";
    /// Bar speed along its path (unsigned).
    pub const BAR_SPEED: &str = "bar_speed";
    pub const POWER_OUTPUT: &str = "power_output";
    pub const GROUND_REACTION_FORCE: &str = "ground_reaction_force";
    pub const HIP_HEIGHT: &str = "hip_height";
    pub const HIP_VELOCITY: &str = "hip_velocity";
    pub const VERTICAL_SHOULDER_HEIGHT: &str = "vertical_shoulder_height";
    pub const KNEE_ANGLE: &str = "knee_angle";
    pub const HIP_ANGLE: &str = "hip_angle";
    pub const TORSO_ANGLE: &str = "torso_angle";

    /// Sprints: distance covered, in metres.
    pub const RUNNER_DISTANCE_M: &str = "runner_distance_m";
}

/// Keys of `AnalysisResult.metrics`; the suffix names the unit.
pub mod metrics {
    // Jumps.
    pub const JUMP_HEIGHT_CM: &str = "jump_height_cm";
    pub const JUMP_DISTANCE_CM: &str = "jump_distance_cm";
    pub const JUMP_COUNT: &str = "jump_count";
    pub const FLIGHT_TIME_MS: &str = "flight_time_ms";
    pub const TAKEOFF_VELOCITY_M_S: &str = "takeoff_velocity_m_s";
    pub const TAKEOFF_TIMESTAMP_MS: &str = "takeoff_timestamp_ms";
    pub const LANDING_TIMESTAMP_MS: &str = "landing_timestamp_ms";

    /// Skipping and sprints.
    pub const CADENCE_PER_MIN: &str = "cadence_per_min";
    /// Sit and reach.
    pub const REACH_DISTANCE_CM: &str = "reach_distance_cm";

    // Sprints.
    pub const STRIDE_COUNT: &str = "stride_count";
    pub const DISTANCE_M: &str = "distance_m";
    pub const AVERAGE_SPEED_M_S: &str = "average_speed_m_s";
    /// One standard deviation of the distances, in percent, when their scale comes from
    /// an assumed stature (no height, no plate); absent when the scale was measured.
    pub const DISTANCE_UNCERTAINTY_PCT: &str = "distance_uncertainty_pct";

    // Lifts.
    pub const MAX_BAR_SPEED_M_S: &str = "max_bar_speed_m_s";
    pub const MAX_BAR_VELOCITY_M_S: &str = "max_bar_velocity_m_s";
    pub const MAX_BAR_HEIGHT_M: &str = "max_bar_height_m";
    pub const MAX_POWER_W: &str = "max_power_w";
    pub const MAX_GRF_N: &str = "max_grf_n";
    pub const MAX_HIP_VELOCITY_M_S: &str = "max_hip_velocity_m_s";
    pub const BAR_HORIZONTAL_DISPLACEMENT_M: &str = "bar_horizontal_displacement_m";
    pub const BARBELL_MASS_KG: &str = "barbell_mass_kg";
    pub const LIFT_DURATION_S: &str = "lift_duration_s";
    pub const PEAK_BAR_VELOCITY_TIMESTAMP_MS: &str = "peak_bar_velocity_timestamp_ms";
}

/// Names of `AnalysisResult.phases`.
pub mod phases {
    /// Timer mode: a stretch of holding the posture.
    pub const HOLD: &str = "hold";
    /// Jumps: feet off the ground.
    pub const FLIGHT: &str = "flight";

    // Olympic lifts, in order.
    pub const SETUP: &str = "setup";
    pub const FIRST_PULL: &str = "first_pull";
    pub const TRANSITION: &str = "transition";
    pub const SECOND_PULL: &str = "second_pull";
    pub const TURNOVER: &str = "turnover";
    pub const CATCH: &str = "catch";
    pub const RECOVERY: &str = "recovery";
    /// Clean and jerk only, after the recovery.
    pub const JERK: &str = "jerk";
    pub const JERK_RECOVERY: &str = "jerk_recovery";
}

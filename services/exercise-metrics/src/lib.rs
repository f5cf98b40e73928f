//! fitvision-exercise-metrics

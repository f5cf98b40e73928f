//! fitvision-exercise-engine

//! fitvision-kinematics

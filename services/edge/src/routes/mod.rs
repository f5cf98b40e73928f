//! Handlers of the five documented API families.

pub mod ai_move;
pub mod guru;
pub mod lifting;
pub mod trainer;

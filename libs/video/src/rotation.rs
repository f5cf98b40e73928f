use opencv::core::{Mat, ROTATE_90_CLOCKWISE, ROTATE_90_COUNTERCLOCKWISE, ROTATE_180};

/// Clockwise rotation needed to turn a coded frame into the displayed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    None,
    Clockwise90,
    Half,
    Clockwise270,
}

impl Rotation {
    /// From OpenCV's `CAP_PROP_ORIENTATION_META` (degrees; any multiple of 90, possibly negative).
    pub fn from_degrees(degrees: f64) -> Self {
        let quarter_turns = ((degrees / 90.0).round() as i64).rem_euclid(4);
        match quarter_turns {
            1 => Self::Clockwise90,
            2 => Self::Half,
            3 => Self::Clockwise270,
            _ => Self::None,
        }
    }

    pub fn degrees(self) -> i32 {
        match self {
            Self::None => 0,
            Self::Clockwise90 => 90,
            Self::Half => 180,
            Self::Clockwise270 => 270,
        }
    }

    /// Whether width and height swap.
    pub fn is_transposing(self) -> bool {
        matches!(self, Self::Clockwise90 | Self::Clockwise270)
    }

    /// Rotates `coded` into a new matrix; `None` hands the frame back untouched.
    pub fn apply(self, coded: Mat) -> opencv::Result<Mat> {
        let code = match self {
            Self::None => return Ok(coded),
            Self::Clockwise90 => ROTATE_90_CLOCKWISE,
            Self::Half => ROTATE_180,
            Self::Clockwise270 => ROTATE_90_COUNTERCLOCKWISE,
        };
        let mut displayed = Mat::default();
        opencv::core::rotate(&coded, &mut displayed, code)?;
        Ok(displayed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_normalise_to_quarter_turns() {
        assert_eq!(Rotation::from_degrees(0.0), Rotation::None);
        assert_eq!(Rotation::from_degrees(90.0), Rotation::Clockwise90);
        assert_eq!(Rotation::from_degrees(-90.0), Rotation::Clockwise270);
        assert_eq!(Rotation::from_degrees(270.0), Rotation::Clockwise270);
        assert_eq!(Rotation::from_degrees(180.0), Rotation::Half);
        assert_eq!(Rotation::from_degrees(-180.0), Rotation::Half);
        assert_eq!(Rotation::from_degrees(360.0), Rotation::None);
    }
}

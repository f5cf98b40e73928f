//! A barbell plate of known size seen in the video: the pixel-to-metre scale
//! (preferred to the subject's stature, which rests on average body
//! proportions) and, where its centre is located, the bar position.
//!
//! The engine does not detect plates; a detector or the user supplies them
//! (`AnalyzeRequest.plate` on the gRPC API).

use std::collections::HashMap;

use fitvision_kinematics::Point2;
use fitvision_kinematics::scale::{STANDARD_PLATE_DIAMETER_M, pixels_per_metre_from_sightings};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum PlateError {
    #[error("diameter_m must be positive and finite (0 = a standard 450 mm plate), got {0}")]
    RealDiameter(f64),
    #[error("diameter_px must be positive and finite (0 = not given), got {0}")]
    ApparentDiameter(f64),
    #[error("sightings[{index}].diameter_px must be positive and finite, got {value}")]
    SightingDiameter { index: usize, value: f64 },
    #[error("sightings[{index}]: give both center_x_px and center_y_px (finite) or neither")]
    SightingCentre { index: usize },
}

/// The plate in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlateSighting {
    /// The pose track's `frame_index` of that frame.
    pub frame_index: u32,
    /// Apparent diameter (the ellipse's major axis) in pixels.
    pub diameter_px: f64,
    /// Centre in pixels, when located.
    pub centre_px: Option<Point2>,
}

/// A plate of known real diameter, as one apparent size or per-frame sightings.
#[derive(Debug, Clone, PartialEq)]
pub struct PlateObservation {
    /// Real diameter in metres.
    pub diameter_m: f64,
    /// Apparent diameter for the whole clip, used when there are no sightings.
    pub diameter_px: Option<f64>,
    pub sightings: Vec<PlateSighting>,
}

impl PlateObservation {
    /// A standard 450 mm plate seen `diameter_px` across throughout the clip.
    pub fn standard(diameter_px: f64) -> Self {
        Self {
            diameter_m: STANDARD_PLATE_DIAMETER_M,
            diameter_px: Some(diameter_px),
            sightings: Vec::new(),
        }
    }

    /// Validates the API message (0 means "not given" for the two diameters).
    pub fn from_proto(p: &fitvision_proto::v1::PlateObservation) -> Result<Self, PlateError> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        let diameter_m = match p.diameter_m {
            0.0 => STANDARD_PLATE_DIAMETER_M,
            d if positive(d) => d,
            d => return Err(PlateError::RealDiameter(d)),
        };
        let diameter_px = match p.diameter_px {
            0.0 => None,
            d if positive(d) => Some(d),
            d => return Err(PlateError::ApparentDiameter(d)),
        };
        let sightings = p
            .sightings
            .iter()
            .enumerate()
            .map(|(index, s)| {
                if !positive(s.diameter_px) {
                    return Err(PlateError::SightingDiameter {
                        index,
                        value: s.diameter_px,
                    });
                }
                let centre_px = match (s.center_x_px, s.center_y_px) {
                    (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Some(Point2::new(x, y)),
                    (None, None) => None,
                    _ => return Err(PlateError::SightingCentre { index }),
                };
                Ok(PlateSighting {
                    frame_index: s.frame_index,
                    diameter_px: s.diameter_px,
                    centre_px,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            diameter_m,
            diameter_px,
            sightings,
        })
    }

    /// Pixels per metre: the median sighting when there are sightings, else the
    /// single apparent diameter. `None` when neither is usable.
    pub fn pixels_per_metre(&self) -> Option<f64> {
        if self.sightings.is_empty() {
            let px = self.diameter_px?;
            return pixels_per_metre_from_sightings(&[px], self.diameter_m);
        }
        let sizes: Vec<f64> = self.sightings.iter().map(|s| s.diameter_px).collect();
        pixels_per_metre_from_sightings(&sizes, self.diameter_m)
    }

    /// Located centres by frame index (the last sighting wins for a repeated frame).
    pub fn centres_by_frame(&self) -> HashMap<u32, Point2> {
        self.sightings
            .iter()
            .filter_map(|s| Some((s.frame_index, s.centre_px?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fitvision_proto::v1 as pb;

    fn sighting(
        frame_index: u32,
        diameter_px: f64,
        centre: Option<(f64, f64)>,
    ) -> pb::PlateSighting {
        pb::PlateSighting {
            frame_index,
            diameter_px,
            center_x_px: centre.map(|c| c.0),
            center_y_px: centre.map(|c| c.1),
        }
    }

    #[test]
    fn a_standard_plate_by_default_and_the_median_sighting_as_scale() {
        let p = PlateObservation::from_proto(&pb::PlateObservation {
            diameter_m: 0.0,
            diameter_px: 300.0,
            sightings: vec![
                sighting(0, 90.0, Some((10.0, 20.0))),
                sighting(1, 91.0, None),
                sighting(2, 60.0, None),
            ],
        })
        .unwrap();
        assert_eq!(p.diameter_m, STANDARD_PLATE_DIAMETER_M);
        // Sightings win over the single diameter; their median is 90 px.
        assert_eq!(p.pixels_per_metre(), Some(90.0 / 0.45));
        assert_eq!(p.centres_by_frame()[&0], Point2::new(10.0, 20.0));
        assert_eq!(p.centres_by_frame().len(), 1);
        // A 350 mm training plate seen 70 px across: 200 px/m.
        let small = PlateObservation::from_proto(&pb::PlateObservation {
            diameter_m: 0.35,
            diameter_px: 70.0,
            sightings: vec![],
        })
        .unwrap();
        assert!((small.pixels_per_metre().unwrap() - 200.0).abs() < 1e-9);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |p: pb::PlateObservation| PlateObservation::from_proto(&p).unwrap_err();
        assert_eq!(
            bad(pb::PlateObservation {
                diameter_m: -1.0,
                ..Default::default()
            }),
            PlateError::RealDiameter(-1.0)
        );
        assert!(matches!(
            bad(pb::PlateObservation {
                diameter_px: f64::NAN,
                ..Default::default()
            }),
            PlateError::ApparentDiameter(_)
        ));
        assert_eq!(
            bad(pb::PlateObservation {
                sightings: vec![sighting(3, 90.0, None), sighting(4, 0.0, None)],
                ..Default::default()
            }),
            PlateError::SightingDiameter {
                index: 1,
                value: 0.0
            }
        );
        let mut half = sighting(5, 90.0, None);
        half.center_x_px = Some(1.0);
        assert_eq!(
            bad(pb::PlateObservation {
                sightings: vec![half],
                ..Default::default()
            }),
            PlateError::SightingCentre { index: 0 }
        );
    }

    #[test]
    fn nothing_usable_gives_no_scale() {
        let p = PlateObservation::from_proto(&pb::PlateObservation::default()).unwrap();
        assert_eq!(p.pixels_per_metre(), None);
    }
}

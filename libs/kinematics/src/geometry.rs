//! Plane geometry in image coordinates (x right, y DOWN, as pixels are stored).

/// A point in the image plane.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point2 {
    pub x: f64,
    pub y: f64,
}

impl Point2 {
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    #[inline]
    pub fn distance(self, other: Point2) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    #[inline]
    pub fn midpoint(self, other: Point2) -> Point2 {
        Point2::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }

    pub fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}

/// A similarity transform `p -> scale * R(rotation) * p + (tx, ty)` (image pixels): how a
/// camera that pans, tilts, rolls or zooms maps one frame onto another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub scale: f64,
    pub rotation_rad: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Default for Similarity {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Similarity {
    pub const IDENTITY: Self = Self {
        scale: 1.0,
        rotation_rad: 0.0,
        tx: 0.0,
        ty: 0.0,
    };

    /// The transform as `(a, b)` with `a = s cos r`, `b = s sin r`.
    fn ab(&self) -> (f64, f64) {
        (
            self.scale * self.rotation_rad.cos(),
            self.scale * self.rotation_rad.sin(),
        )
    }

    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let (a, b) = self.ab();
        (a * x - b * y + self.tx, b * x + a * y + self.ty)
    }

    pub fn apply_point(&self, p: Point2) -> Point2 {
        let (x, y) = self.apply(p.x, p.y);
        Point2::new(x, y)
    }

    /// `self` after `first`: `p -> self(first(p))`.
    pub fn after(&self, first: &Similarity) -> Similarity {
        let (tx, ty) = self.apply(first.tx, first.ty);
        Similarity {
            scale: self.scale * first.scale,
            rotation_rad: self.rotation_rad + first.rotation_rad,
            tx,
            ty,
        }
    }

    pub fn inverse(&self) -> Similarity {
        let scale = 1.0 / self.scale;
        let rotation_rad = -self.rotation_rad;
        let inv = Similarity {
            scale,
            rotation_rad,
            tx: 0.0,
            ty: 0.0,
        };
        let (tx, ty) = inv.apply(-self.tx, -self.ty);
        Similarity { tx, ty, ..inv }
    }
}

/// `hypot(dx, dy) <= f64::EPSILON`, without the `hypot` call in the usual case:
/// the hypotenuse is at least the longer leg.
#[inline]
fn is_degenerate(dx: f64, dy: f64) -> bool {
    if dx.abs() > f64::EPSILON || dy.abs() > f64::EPSILON {
        return false;
    }
    dx.hypot(dy) <= f64::EPSILON
}

/// Interior angle at `vertex` between the rays to `a` and `c`, in degrees 0..=180.
/// `None` when a ray has zero length (coincident points carry no direction).
pub fn interior_angle_deg(a: Point2, vertex: Point2, c: Point2) -> Option<f64> {
    let (ux, uy) = (a.x - vertex.x, a.y - vertex.y);
    let (vx, vy) = (c.x - vertex.x, c.y - vertex.y);
    if is_degenerate(ux, uy) || is_degenerate(vx, vy) {
        return None;
    }
    // atan2 of cross and dot is exact near 0 and 180 degrees where acos loses precision.
    let cross = ux * vy - uy * vx;
    let dot = ux * vx + uy * vy;
    Some(cross.abs().atan2(dot).to_degrees())
}

/// Unsigned angle between the segment `from -> to` and the vertical, 0..=90 degrees
/// whichever way the segment points (a segment has no preferred end for inclination).
pub fn inclination_from_vertical_deg(from: Point2, to: Point2) -> Option<f64> {
    let dx = (to.x - from.x).abs();
    let dy = (to.y - from.y).abs();
    if is_degenerate(dx, dy) {
        return None;
    }
    Some(dx.atan2(dy).to_degrees())
}

/// Signed elevation of `to` above `from` relative to the horizontal, -90..=90 degrees:
/// positive when `to` is higher in the scene (smaller image y) than `from`.
pub fn elevation_deg(from: Point2, to: Point2) -> Option<f64> {
    let dx = (to.x - from.x).abs();
    let up = from.y - to.y;
    if is_degenerate(dx, up) {
        return None;
    }
    Some(up.atan2(dx).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn right_angle_is_exactly_ninety() {
        let a = interior_angle_deg(
            Point2::new(0.0, -1.0),
            Point2::new(0.0, 0.0),
            Point2::new(2.0, 0.0),
        );
        assert_abs_diff_eq!(a.unwrap(), 90.0, epsilon = 1e-12);
    }

    #[test]
    fn straight_limb_is_180_and_folded_is_0() {
        let o = Point2::new(1.0, 1.0);
        let s = interior_angle_deg(Point2::new(1.0, 0.0), o, Point2::new(1.0, 5.0)).unwrap();
        assert_abs_diff_eq!(s, 180.0, epsilon = 1e-12);
        let f = interior_angle_deg(Point2::new(1.0, 0.0), o, Point2::new(1.0, -3.0)).unwrap();
        assert_abs_diff_eq!(f, 0.0, epsilon = 1e-12);
    }

    #[test]
    fn equilateral_triangle_has_sixty_degree_corners() {
        let a = Point2::new(0.0, 0.0);
        let b = Point2::new(1.0, 0.0);
        let c = Point2::new(0.5, 3f64.sqrt() / 2.0);
        assert_abs_diff_eq!(interior_angle_deg(a, b, c).unwrap(), 60.0, epsilon = 1e-12);
    }

    #[test]
    fn coincident_points_have_no_angle() {
        let p = Point2::new(3.0, 3.0);
        assert!(interior_angle_deg(p, p, Point2::new(0.0, 0.0)).is_none());
    }

    #[test]
    fn inclination_and_elevation_of_known_segments() {
        let o = Point2::new(0.0, 0.0);
        assert_abs_diff_eq!(
            inclination_from_vertical_deg(o, Point2::new(0.0, -4.0)).unwrap(),
            0.0
        );
        assert_abs_diff_eq!(
            inclination_from_vertical_deg(o, Point2::new(1.0, 1.0)).unwrap(),
            45.0,
            epsilon = 1e-12
        );
        assert_abs_diff_eq!(
            elevation_deg(o, Point2::new(-1.0, -1.0)).unwrap(),
            45.0,
            epsilon = 1e-12
        );
        assert_abs_diff_eq!(
            elevation_deg(o, Point2::new(2.0, 0.0)).unwrap(),
            0.0,
            epsilon = 1e-12
        );
    }

    proptest! {
        #[test]
        fn angle_is_invariant_under_rotation_translation_and_scale(
            ax in -100.0..100.0f64, ay in -100.0..100.0f64,
            cx in -100.0..100.0f64, cy in -100.0..100.0f64,
            theta in 0.0..std::f64::consts::TAU, k in 0.1..10.0f64, tx in -50.0..50.0f64,
        ) {
            let v = Point2::new(1.0, 2.0);
            prop_assume!(Point2::new(ax, ay).distance(v) > 1e-3 && Point2::new(cx, cy).distance(v) > 1e-3);
            let before = interior_angle_deg(Point2::new(ax, ay), v, Point2::new(cx, cy)).unwrap();
            let tf = |p: Point2| {
                let (s, c) = theta.sin_cos();
                Point2::new(k * (c * p.x - s * p.y) + tx, k * (s * p.x + c * p.y) - tx)
            };
            let after = interior_angle_deg(tf(Point2::new(ax, ay)), tf(v), tf(Point2::new(cx, cy))).unwrap();
            prop_assert!((before - after).abs() < 1e-6);
            prop_assert!((0.0..=180.0).contains(&before));
        }
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn similarities_compose_and_invert() {
        let s = Similarity {
            scale: 1.2,
            rotation_rad: 0.3,
            tx: 5.0,
            ty: -7.0,
        };
        let t = Similarity {
            scale: 0.9,
            rotation_rad: -0.1,
            tx: -2.0,
            ty: 4.0,
        };
        let p = (13.0, 21.0);
        let (x, y) = t.apply(p.0, p.1);
        assert!(close(s.after(&t).apply(p.0, p.1), s.apply(x, y)));
        let (x, y) = s.apply(p.0, p.1);
        assert!(close(s.inverse().apply(x, y), p));
        assert!(close(Similarity::IDENTITY.apply(p.0, p.1), p));
    }
}

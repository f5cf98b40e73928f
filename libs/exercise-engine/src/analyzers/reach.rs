//! Sit-and-reach: time holding the reach and the furthest reach of the hands
//! beyond the ankles (positive = past the feet), in centimetres.

use fitvision_kinematics::schema::Limb;

use crate::analyze::{Context, generic_hold};
use crate::names::metrics;

pub fn analyze(ctx: &mut Context) {
    if ctx.def.hold.is_some() {
        generic_hold(ctx);
    }
    let s = &ctx.subject;
    // Facing direction: the feet lie on the side of the hips the legs point to.
    let mut best: Option<f64> = None;
    for i in 0..s.len() {
        let (Some(w), Some(a), Some(h)) = (
            s.limb_mid(i, Limb::Wrist),
            s.limb_mid(i, Limb::Ankle),
            s.limb_mid(i, Limb::Hip),
        ) else {
            continue;
        };
        let toward_feet = (a.x - h.x).signum();
        let reach = (w.x - a.x) * toward_feet;
        best = Some(best.map_or(reach, |b: f64| b.max(reach)));
    }
    let Some(best_px) = best else {
        ctx.warn("hands, hips and ankles were never seen together: no reach measured");
        return;
    };
    if let Some(ppm) = super::scale_or_assumed(ctx) {
        ctx.metric(metrics::REACH_DISTANCE_CM, best_px / ppm * 100.0);
    }
    ctx.result.form_score = ctx.result.form_score.max(if ctx.result.hold_time_s > 0.0 {
        1.0
    } else {
        0.0
    });
}

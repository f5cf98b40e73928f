//! Sprint: one rep per stride (Guru semantics). A stride begins at toe-off of a
//! foot and ends when the same foot touches down. A foot is in contact while its
//! lowest point is within a small rise of the local floor level (the lowest the feet
//! get around that moment): the heel or the toe, whichever is lower, when the pose
//! model has feet (the toe is the last part to leave the ground and heel or toe the
//! first to land); the ankle otherwise, which rises on a plantar-flexed foot before
//! the toe leaves, hence its larger allowance.
//!
//! Per stride: IS_LEFT_LEG, STRIDE_AIR_TIME_MS = touch-down of the opposite foot
//! (end of the previous stride) - this toe-off; STRIDE_GROUND_TIME_MS = next
//! stride's toe-off - that touch-down (both absent for the first stride, and the
//! ground time for the last), peak hip flexion (minimum interior hip angle) and
//! extension (maximum) with their timestamps; mid = peak hip flexion.

use fitvision_kinematics::angles::{JointAngle, joint_angle_deg};
use fitvision_kinematics::scale;
use fitvision_kinematics::schema::{Joint, Limb, Side};
use fitvision_kinematics::{clean, stats};
use fitvision_proto::v1::RepAnalysis;

use crate::analyze::Context;
use crate::form::round2;
use crate::names::{metrics, series};

/// Ankle rise (body units) below which a foot counts as on the ground.
const CONTACT_RISE_BODY: f64 = 0.06;
/// Rise of the foot's lowest point (heel or toe, body units) below which it counts
/// as on the ground: keypoint noise only (~2% of stature), as that point touches the
/// floor while the foot is in contact.
const FOOT_CONTACT_RISE_BODY: f64 = 0.03;

/// Shortest swing accepted as a stride (seconds).
const MIN_SWING_S: f64 = 0.08;

#[derive(Debug, Clone, Copy)]
struct Stride {
    side: Side,
    toe_off: usize,
    touch_down: usize,
}

/// Whether the track has feet (heel and toe landmarks).
fn has_feet(ctx: &Context) -> bool {
    ctx.subject.schema.index_of(Joint::LeftFootIndex).is_some()
        && ctx.subject.schema.index_of(Joint::LeftHeel).is_some()
}

/// Image height (y grows downward) of the part of a foot that touches the ground: the
/// lower of heel and toe with feet, else the ankle.
fn foot_y(ctx: &Context, i: usize, side: Side, feet: bool) -> Option<f64> {
    let s = &ctx.subject;
    if !feet {
        return s.ground_limb(i, Limb::Ankle, side).map(|p| p.y);
    }
    let heel = s.ground_limb(i, Limb::Heel, side)?.y;
    let toe = s.ground_limb(i, Limb::FootIndex, side)?.y;
    Some(heel.max(toe))
}

fn contacts(ctx: &Context, side: Side, unit: f64) -> Vec<Option<bool>> {
    let s = &ctx.subject;
    let n = s.len();
    let feet = has_feet(ctx);
    let rise = if feet {
        FOOT_CONTACT_RISE_BODY
    } else {
        CONTACT_RISE_BODY
    };
    let y: Vec<Option<f64>> = (0..n).map(|i| foot_y(ctx, i, side, feet)).collect();
    let y = clean::interpolate_gaps(&s.times_s, &y, 2);
    let all: Vec<Option<f64>> = (0..n)
        .map(|i| {
            let l = foot_y(ctx, i, Side::Left, feet);
            let r = foot_y(ctx, i, Side::Right, feet);
            match (l, r) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        })
        .collect();
    let half = (0.5 * s.sample_rate_hz).round() as usize;
    (0..n)
        .map(|i| {
            let w: Vec<f64> = all[i.saturating_sub(half)..(i + half + 1).min(n)]
                .iter()
                .flatten()
                .copied()
                .collect();
            let floor = stats::percentile(&w, 90.0)?;
            Some(floor - y[i]? <= rise * unit)
        })
        .collect()
}

fn strides_of(ctx: &Context, side: Side, unit: f64) -> Vec<Stride> {
    let c = contacts(ctx, side, unit);
    let times = &ctx.subject.times_s;
    let mut out = Vec::new();
    let mut toe_off: Option<usize> = None;
    for i in 1..c.len() {
        match (c[i - 1], c[i]) {
            (Some(true), Some(false)) => toe_off = Some(i),
            (Some(false), Some(true)) => {
                if let Some(t) = toe_off.take()
                    && times[i] - times[t] >= MIN_SWING_S
                {
                    out.push(Stride {
                        side,
                        toe_off: t,
                        touch_down: i,
                    });
                }
            }
            (_, None) => toe_off = None,
            _ => {}
        }
    }
    out
}

pub fn analyze(ctx: &mut Context) {
    let Some(unit) = ctx.subject.body_unit_px() else {
        ctx.warn("legs never visible: cannot find strides");
        return;
    };
    let mut strides = strides_of(ctx, Side::Left, unit);
    strides.extend(strides_of(ctx, Side::Right, unit));
    strides.sort_by_key(|s| s.toe_off);
    let ts = ctx.subject.timestamps_ms.clone();
    let mut reps = Vec::with_capacity(strides.len());
    for (k, st) in strides.iter().enumerate() {
        let hip: Vec<(usize, f64)> = (st.toe_off..=st.touch_down)
            .filter_map(|i| {
                joint_angle_deg(JointAngle::Hip, st.side, |l, s| ctx.subject.limb(i, l, s))
                    .map(|a| (i, a))
            })
            .collect();
        let flex = hip.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
        let ext = hip.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
        let mid = flex
            .map(|f| f.0)
            .unwrap_or((st.toe_off + st.touch_down) / 2);
        let mut rep = ctx.rep(k, st.toe_off, mid, st.touch_down);
        let prev = k.checked_sub(1).map(|p| strides[p]);
        let next = strides.get(k + 1);
        let air = prev.map(|p| ts[p.touch_down] - ts[st.toe_off]);
        let ground = prev
            .zip(next)
            .map(|(p, nx)| ts[nx.toe_off] - ts[p.touch_down]);
        let mut push = |kind: &str, v: Option<f64>| {
            rep.analyses.push(RepAnalysis {
                analysis_type: kind.into(),
                scalar: v.map(round2),
                opinion: 0,
            })
        };
        push(
            "IS_LEFT_LEG",
            Some(if st.side == Side::Left { 1.0 } else { 0.0 }),
        );
        push("STRIDE_AIR_TIME_MS", air);
        push("STRIDE_GROUND_TIME_MS", ground);
        push("STRIDE_PEAK_FLEXION_ANGLE", flex.map(|f| f.1));
        push("STRIDE_PEAK_FLEXION_ANGLE_TIMESTAMP", flex.map(|f| ts[f.0]));
        push("STRIDE_PEAK_EXTENSION_ANGLE", ext.map(|e| e.1));
        push(
            "STRIDE_PEAK_EXTENSION_ANGLE_TIMESTAMP",
            ext.map(|e| ts[e.0]),
        );
        reps.push(rep);
    }
    ctx.result.rep_count = reps.len() as u32;
    ctx.result.reps = reps;
    ctx.result.form_score = if strides.is_empty() { 0.0 } else { 1.0 };
    ctx.metric(metrics::STRIDE_COUNT, strides.len() as f64);
    if strides.len() >= 2 {
        let span_s = (ts[strides[strides.len() - 1].toe_off] - ts[strides[0].toe_off]) / 1000.0;
        if span_s > 0.0 {
            ctx.metric(
                metrics::CADENCE_PER_MIN,
                (strides.len() - 1) as f64 / span_s * 60.0,
            );
        }
    }
    // runnerProgress: distance along the direction of travel. The scale is measured
    // (height or plate) when it can be; otherwise the runner's own body gives it through
    // a typical adult stature, and the distances say how uncertain that makes them.
    let measured = ctx.pixels_per_metre();
    let scale = measured.or_else(|| ctx.pixels_per_metre_from_typical_stature());
    if measured.is_none() && scale.is_some() {
        let pct = 100.0 * scale::TYPICAL_ADULT_STATURE_SD_M / scale::TYPICAL_ADULT_STATURE_M;
        ctx.metric(metrics::DISTANCE_UNCERTAINTY_PCT, pct);
        ctx.warn(format!(
            "subject height unknown: distances assume a {:.2} m runner (+-{pct:.0}% for one standard deviation of adult stature); give the height for measured distances",
            scale::TYPICAL_ADULT_STATURE_M
        ));
    }
    if let Some(ppm) = scale {
        let x: Vec<Option<f64>> = (0..ctx.subject.len())
            .map(|i| ctx.subject.ground_limb_mid(i, Limb::Hip).map(|p| p.x))
            .collect();
        if let (Some(first), Some(last)) = (
            x.iter().flatten().next().copied(),
            x.iter().flatten().last().copied(),
        ) {
            let dir = (last - first).signum();
            let dist: Vec<Option<f64>> = x
                .iter()
                .map(|v| v.map(|v| (v - first) * dir / ppm))
                .collect();
            let total = (last - first).abs() / ppm;
            ctx.metric(metrics::DISTANCE_M, total);
            let dur = ctx.subject.duration_s();
            if dur > 0.0 {
                ctx.metric(metrics::AVERAGE_SPEED_M_S, total / dur);
            }
            ctx.series(series::RUNNER_DISTANCE_M, "m", &dist);
        }
    } else {
        ctx.warn("no scale (the runner's body was not measurable): runner progress not measured");
    }
}

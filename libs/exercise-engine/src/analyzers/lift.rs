//! Olympic lifts (snatch, clean, clean and jerk): bar path, velocity, power,
//! ground reaction force, body positions and phases.
//!
//! The bar is taken at the hands (mean of the wrists), refined by the plate
//! where one was located: the bar passes through the plate's centre, so a frame
//! with a located plate takes its centre, and the other frames take the hands
//! shifted by the median hands-to-plate offset (the grip does not move on the
//! bar). Heights are metres above the floor (the ankles' lowest level), scaled
//! by the plate when one was measured, else by the subject's stature.
//!
//! Physics (vertical): bar power P = m_bar (g + a) v; ground reaction force
//! GRF = (m_bar + m_body)(g + a), with a and v the bar's vertical acceleration
//! and velocity (the lifter's centre of mass is assumed to follow the bar's
//! acceleration, the usual single-body approximation).
//!
//! Phases from the bar and the body: setup (until the bar leaves the floor),
//! first_pull (until the bar passes the knees), transition (until the knees
//! re-bend most: the double knee bend), second_pull (until peak bar speed),
//! turnover (until the bar's highest point), catch (until the hips are lowest),
//! recovery (until the hips are back near standing height), and for the clean
//! and jerk: jerk (until the bar's highest point overhead) and jerk_recovery.

use fitvision_kinematics::derivative::{acceleration, velocity};
use fitvision_kinematics::schema::Limb;
use fitvision_kinematics::{GRAVITY_M_S2, stats};

use crate::analyze::Context;
use crate::definition::{SideChoice, SignalSpec};
use crate::form::round2;
use crate::names::{metrics, phases, series};
use crate::signals;

/// Barbell mass when none is given (the Weightlifting API's documented default).
pub const DEFAULT_BARBELL_MASS_KG: f64 = 100.0;
/// Body mass assumed for forces when unknown.
pub const DEFAULT_BODY_MASS_KG: f64 = 75.0;
/// Low-pass for bar and hip paths: lifts have content up to ~6 Hz.
const PATH_CUTOFF_HZ: f64 = 6.0;
/// Lift-off: the bar has risen this far above its starting height (m).
const LIFT_OFF_RISE_M: f64 = 0.03;

/// Midpoint of a limb pair per frame, in the ground's frame (the bar path is judged
/// against the floor, whatever the camera does).
fn mid_of(ctx: &Context, limb: Limb) -> Vec<Option<(f64, f64)>> {
    (0..ctx.subject.len())
        .map(|i| ctx.subject.ground_limb_mid(i, limb).map(|p| (p.x, p.y)))
        .collect()
}

/// Bar position per frame: the hands, or the plate centre where located (see
/// the module notes).
fn bar_positions(ctx: &Context) -> Vec<Option<(f64, f64)>> {
    let hands = mid_of(ctx, Limb::Wrist);
    let centres = ctx
        .options
        .plate
        .as_ref()
        .map(|p| p.centres_by_frame())
        .unwrap_or_default();
    if centres.is_empty() {
        return hands;
    }
    let plate: Vec<Option<(f64, f64)>> = ctx
        .subject
        .frame_indices
        .iter()
        .enumerate()
        .map(|(i, f)| {
            centres.get(f).map(|c| {
                let g = ctx
                    .subject
                    .to_ground(i, fitvision_kinematics::Point2::new(c.x, c.y));
                (g.x, g.y)
            })
        })
        .collect();
    let (dx, dy): (Vec<f64>, Vec<f64>) = hands
        .iter()
        .zip(&plate)
        .filter_map(|(h, p)| Some((p.as_ref()?.0 - h.as_ref()?.0, p.as_ref()?.1 - h.as_ref()?.1)))
        .unzip();
    let offset = stats::median(&dx).zip(stats::median(&dy));
    plate
        .iter()
        .zip(&hands)
        .map(|(p, h)| match (p, h, offset) {
            (Some(p), _, _) => Some(*p),
            (None, Some(h), Some((dx, dy))) => Some((h.0 + dx, h.1 + dy)),
            (None, h, None) => *h,
            (None, None, Some(_)) => None,
        })
        .collect()
}

fn clean(ctx: &Context, raw: Vec<Option<f64>>) -> Vec<Option<f64>> {
    signals::clean_signal(&ctx.subject, &raw, PATH_CUTOFF_HZ)
}

fn argmax(v: &[Option<f64>], from: usize, to: usize) -> Option<usize> {
    (from..to.min(v.len()))
        .filter(|&i| v[i].is_some())
        .max_by(|&a, &b| {
            v[a].unwrap_or(f64::MIN)
                .total_cmp(&v[b].unwrap_or(f64::MIN))
        })
}

fn argmin(v: &[Option<f64>], from: usize, to: usize) -> Option<usize> {
    (from..to.min(v.len()))
        .filter(|&i| v[i].is_some())
        .min_by(|&a, &b| {
            v[a].unwrap_or(f64::MAX)
                .total_cmp(&v[b].unwrap_or(f64::MAX))
        })
}

pub fn analyze(ctx: &mut Context) {
    let Some(ppm) = super::scale_or_assumed(ctx) else {
        ctx.warn("body never fully visible: no scale, bar metrics not measured");
        return;
    };
    let m_bar = if ctx.params.barbell_mass_kg > 0.0 {
        ctx.params.barbell_mass_kg
    } else {
        ctx.warn(format!(
            "barbell mass unknown: assumed {DEFAULT_BARBELL_MASS_KG} kg"
        ));
        DEFAULT_BARBELL_MASS_KG
    };
    let m_body = if ctx.params.body_mass_kg > 0.0 {
        ctx.params.body_mass_kg
    } else {
        DEFAULT_BODY_MASS_KG
    };
    let ground = signals::ground_y(&ctx.subject);
    let n = ctx.subject.len();
    let times = ctx.subject.times_s.clone();

    let bar = bar_positions(ctx);
    let bar_h = clean(
        ctx,
        bar.iter()
            .map(|p| p.map(|(_, y)| (ground - y) / ppm))
            .collect(),
    );
    let x0 = bar.iter().flatten().next().map(|p| p.0).unwrap_or(0.0);
    let bar_x = clean(
        ctx,
        bar.iter().map(|p| p.map(|(x, _)| (x - x0) / ppm)).collect(),
    );
    let v = velocity(&times, &bar_h);
    let vx = velocity(&times, &bar_x);
    let a = acceleration(&times, &bar_h);
    let speed: Vec<Option<f64>> = v
        .iter()
        .zip(&vx)
        .map(|(v, h)| Some(v.as_ref()?.hypot(h.unwrap_or(0.0))))
        .collect();
    let power: Vec<Option<f64>> = v
        .iter()
        .zip(&a)
        .map(|(v, a)| Some(m_bar * (GRAVITY_M_S2 + (*a)?) * (*v)?))
        .collect();
    let grf: Vec<Option<f64>> = a
        .iter()
        .map(|a| Some((m_bar + m_body) * (GRAVITY_M_S2 + (*a)?)))
        .collect();
    let hip_h = clean(
        ctx,
        mid_of(ctx, Limb::Hip)
            .iter()
            .map(|p| p.map(|(_, y)| (ground - y) / ppm))
            .collect(),
    );
    let hip_v = velocity(&times, &hip_h);
    let shoulder_h = clean(
        ctx,
        mid_of(ctx, Limb::Shoulder)
            .iter()
            .map(|p| p.map(|(_, y)| (ground - y) / ppm))
            .collect(),
    );
    let knee_h = clean(
        ctx,
        mid_of(ctx, Limb::Knee)
            .iter()
            .map(|p| p.map(|(_, y)| (ground - y) / ppm))
            .collect(),
    );
    let angle = |spec: SignalSpec| signals::followed_signal(&ctx.subject, &spec, PATH_CUTOFF_HZ);
    let knee_angle = angle(SignalSpec::JointAngle {
        joint: "knee".into(),
        side: SideChoice::Auto,
    });
    let hip_angle = angle(SignalSpec::JointAngle {
        joint: "hip".into(),
        side: SideChoice::Auto,
    });
    let torso = angle(SignalSpec::SegmentAngle {
        segment: "trunk".into(),
        side: SideChoice::Auto,
    });
    let shin = angle(SignalSpec::SegmentAngle {
        segment: "shin".into(),
        side: SideChoice::Auto,
    });

    ctx.series(series::BAR_HEIGHT, "m", &bar_h);
    ctx.series(series::BARBELL_TRAJECTORY_X, "m", &bar_x);
    ctx.series(series::BARBELL_TRAJECTORY_Y, "m", &bar_h);
    ctx.series(series::BAR_VELOCITY, "m/s", &v);
    ctx.series(series::BAR_SPEED, "m/s", &speed);
    ctx.series(series::POWER_OUTPUT, "W", &power);
    ctx.series(series::GROUND_REACTION_FORCE, "N", &grf);
    ctx.series(series::HIP_HEIGHT, "m", &hip_h);
    ctx.series(series::HIP_VELOCITY, "m/s", &hip_v);
    ctx.series(series::VERTICAL_SHOULDER_HEIGHT, "m", &shoulder_h);
    ctx.series(series::KNEE_ANGLE, "deg", &knee_angle);
    ctx.series(series::HIP_ANGLE, "deg", &hip_angle);
    ctx.series(series::TORSO_ANGLE, "deg", &torso);
    ctx.series(series::SHIN_ANGLE, "deg", &shin);

    let max_of = |s: &[Option<f64>]| s.iter().flatten().copied().fold(f64::NAN, f64::max);
    ctx.metric(metrics::MAX_BAR_SPEED_M_S, max_of(&speed));
    ctx.metric(metrics::MAX_BAR_VELOCITY_M_S, max_of(&v));
    ctx.metric(metrics::MAX_BAR_HEIGHT_M, max_of(&bar_h));
    ctx.metric(metrics::MAX_POWER_W, max_of(&power));
    ctx.metric(metrics::MAX_GRF_N, max_of(&grf));
    ctx.metric(metrics::MAX_HIP_VELOCITY_M_S, max_of(&hip_v));
    let xs: Vec<f64> = bar_x.iter().flatten().copied().collect();
    if !xs.is_empty() {
        let span = xs.iter().copied().fold(f64::MIN, f64::max)
            - xs.iter().copied().fold(f64::MAX, f64::min);
        ctx.metric(metrics::BAR_HORIZONTAL_DISPLACEMENT_M, span);
    }
    ctx.metric(metrics::BARBELL_MASS_KG, m_bar);

    // Phases.
    let start_h = {
        let w = ((0.3 * ctx.subject.sample_rate_hz) as usize).max(1);
        let first: Vec<f64> = bar_h.iter().flatten().take(w).copied().collect();
        stats::median(&first)
    };
    let Some(start_h) = start_h else {
        ctx.warn("the hands were never visible: no bar path");
        return;
    };
    let Some(lift_off) = (0..n).find(|&i| bar_h[i].is_some_and(|h| h > start_h + LIFT_OFF_RISE_M))
    else {
        ctx.warn("the bar never left its starting height: no lift found");
        return;
    };
    // The first lift ends where the bar is highest within the pull (before it is
    // lowered or jerked): search up to 2.5 s after lift-off.
    let pull_window = lift_off + (2.5 * ctx.subject.sample_rate_hz) as usize;
    let Some(top) = argmax(&bar_h, lift_off, pull_window) else {
        return;
    };
    let peak_v = argmax(&v, lift_off, top + 1).unwrap_or(top);
    let knee_at_lift = knee_h[lift_off].unwrap_or(start_h);
    let past_knee = (lift_off..=peak_v)
        .find(|&i| bar_h[i].is_some_and(|h| h >= knee_at_lift))
        .unwrap_or(lift_off);
    let rebend = argmin(&knee_angle, past_knee, peak_v + 1)
        .unwrap_or(past_knee)
        .max(past_knee);
    let catch_window = top + (1.5 * ctx.subject.sample_rate_hz) as usize;
    let catch_low = argmin(&hip_h, top, catch_window).unwrap_or(top);
    let standing = stats::percentile_opt(&hip_h, 90.0).unwrap_or(0.0);
    let recovered = (catch_low..n)
        .find(|&i| hip_h[i].is_some_and(|h| h >= 0.95 * standing))
        .unwrap_or(n - 1);

    ctx.phase(phases::SETUP, 0, lift_off);
    ctx.phase(phases::FIRST_PULL, lift_off, past_knee);
    ctx.phase(phases::TRANSITION, past_knee, rebend);
    ctx.phase(phases::SECOND_PULL, rebend, peak_v);
    ctx.phase(phases::TURNOVER, peak_v, top);
    ctx.phase(phases::CATCH, top, catch_low);
    ctx.phase(phases::RECOVERY, catch_low, recovered);
    let mut end = recovered;
    if ctx.def.id == "clean_and_jerk" && recovered + 2 < n {
        let jerk_top = argmax(&bar_h, recovered, n).unwrap_or(recovered);
        if bar_h[jerk_top]
            .zip(bar_h[top])
            .is_some_and(|(j, t)| j > t + 0.1)
        {
            ctx.phase(phases::JERK, recovered, jerk_top);
            ctx.phase(phases::JERK_RECOVERY, jerk_top, n - 1);
            end = n - 1;
        } else {
            ctx.warn("no jerk found after the clean: the bar never went clearly higher");
        }
    }
    let mut rep = ctx.rep(0, lift_off, top, end);
    rep.range_of_motion = round2(bar_h[top].unwrap_or(0.0) - start_h);
    ctx.result.reps = vec![rep];
    ctx.result.rep_count = 1;
    ctx.result.form_score = 1.0;
    ctx.metric(metrics::LIFT_DURATION_S, times[end] - times[lift_off]);
    ctx.metric(
        metrics::PEAK_BAR_VELOCITY_TIMESTAMP_MS,
        ctx.subject.timestamps_ms[peak_v],
    );
}

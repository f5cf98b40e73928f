//! Vertical and broad jumps: flight detection from the ankles, height from
//! flight time (h = g t^2 / 8), distance from the feet's displacement.
//!
//! The ankle keypoint is already off the floor at toe-off (the heel rises while
//! the foot plantar-flexes) and touches down toes first, so contact is taken as
//! "ankle within [`CONTACT_RISE_BODY`] body units of its standing level": about
//! 6% of stature, the ankle's rise on a plantar-flexed foot. Take-off and
//! landing instants are interpolated linearly between the frames straddling
//! that level (sub-frame timing; error bounded by g*dt^2/8 over the crossing).

use fitvision_kinematics::scale::SHOULDER_TO_ANKLE_CHAIN_FRACTION;
use fitvision_kinematics::schema::{Limb, Side};
use fitvision_kinematics::{GRAVITY_M_S2, clean, stats};

use crate::analyze::Context;
use crate::form::round2;
use crate::names::{metrics, phases, series};
use crate::signals;

/// Ankle rise at toe-off / touch-down, in body units (shoulder-ankle chain = 0.779 stature):
/// 0.06 stature / 0.779.
pub const CONTACT_RISE_BODY: f64 = 0.077;

/// A rise this large (body units, ~9% of stature: the contact rise plus a few cm) is unambiguously airborne.
pub const AIRBORNE_RISE_BODY: f64 = 0.12;

/// One detected flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flight {
    pub take_off_s: f64,
    pub landing_s: f64,
    /// Last contact frame before, first airborne frame, apex frame, first contact frame after.
    pub last_contact: usize,
    pub apex: usize,
    pub first_contact: usize,
}

impl Flight {
    pub fn flight_time_s(&self) -> f64 {
        self.landing_s - self.take_off_s
    }

    /// Jump height of the centre of mass from flight time: h = g t^2 / 8.
    pub fn height_m(&self) -> f64 {
        GRAVITY_M_S2 * self.flight_time_s().powi(2) / 8.0
    }
}

/// Mean y of the confident ankles per frame in the ground's frame (a camera that tilts
/// to follow the jumper would otherwise take the rise out of the picture), outliers
/// removed and short gaps filled.
pub fn ankle_y(ctx: &Context) -> Vec<Option<f64>> {
    limb_y(ctx, Limb::Ankle)
}

/// [`ankle_y`] for any limb pair.
pub fn limb_y(ctx: &Context, limb: Limb) -> Vec<Option<f64>> {
    let s = &ctx.subject;
    let raw: Vec<Option<f64>> = (0..s.len())
        .map(|i| {
            match (
                s.ground_limb(i, limb, Side::Left),
                s.ground_limb(i, limb, Side::Right),
            ) {
                (Some(a), Some(b)) => Some((a.y + b.y) / 2.0),
                (a, b) => a.or(b).map(|p| p.y),
            }
        })
        .collect();
    let half = ((0.1 * s.sample_rate_hz).round() as usize).max(2);
    let despiked = clean::hampel(&raw, half, 4.0, 1.0);
    // A flight is short: only bridge a couple of missing frames.
    clean::interpolate_gaps(&s.times_s, &despiked, 2)
}

/// What the ankle trace's positions are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnkleFrame {
    /// The ground's frame (the pose stage measured the camera and its motion is undone):
    /// standing ankles stay put.
    Ground,
    /// The picture's, the camera's motion unknown (nothing behind the athlete to measure
    /// it by): standing ankles move with a hand-held camera (see [`StandingLevel`]).
    Picture,
}

/// Finds flights in the ankle trace: returns them with the standing-level baseline used.
pub fn find_flights(
    times_s: &[f64],
    ankle_y: &[Option<f64>],
    frame: AnkleFrame,
    body_unit_px: f64,
    sample_rate_hz: f64,
) -> Vec<Flight> {
    find_flights_with(times_s, ankle_y, &[], frame, body_unit_px, sample_rate_hz)
}

/// [`find_flights`], timing each flight with a parabola shared by the ankles and
/// `companions` (the knees and hips): in the air the whole body falls together, so more
/// points pin the curve down against one keypoint's jitter.
pub fn find_flights_with(
    times_s: &[f64],
    ankle_y: &[Option<f64>],
    companions: &[&[Option<f64>]],
    frame: AnkleFrame,
    body_unit_px: f64,
    sample_rate_hz: f64,
) -> Vec<Flight> {
    let n = ankle_y.len();
    let drifts = frame == AnkleFrame::Picture;
    let contact_px = CONTACT_RISE_BODY * body_unit_px;
    let airborne_px = AIRBORNE_RISE_BODY * body_unit_px;
    // The standing level moves with a handheld camera: take it locally, as the
    // lowest the ankles get (largest y) within a window longer than any flight.
    let half = (1.0 * sample_rate_hz).round() as usize;
    let level: Vec<Option<f64>> = (0..n)
        .map(|i| {
            let w: Vec<f64> = ankle_y[i.saturating_sub(half)..(i + half + 1).min(n)]
                .iter()
                .flatten()
                .copied()
                .collect();
            stats::percentile(&w, 90.0)
        })
        .collect();

    // The pose stage may lose the jumper for a few frames in the air (the head out of
    // the top of the picture at the apex): a flight goes on through a short unseen run
    // between airborne samples (see [`MAX_UNSEEN_IN_FLIGHT_S`]).
    let max_unseen = ((MAX_UNSEEN_IN_FLIGHT_S * sample_rate_hz).floor() as usize).max(1);
    let next_seen = |k: usize| (k + 1..(k + 2 + max_unseen).min(n)).find(|&m| ankle_y[m].is_some());
    let previous_seen = |k: usize| {
        (k.saturating_sub(max_unseen + 1)..k)
            .rev()
            .find(|&m| ankle_y[m].is_some())
    };
    let airborne = |k: usize| {
        ankle_y[k]
            .zip(level[k])
            .is_some_and(|(y, l)| l - y >= airborne_px)
    };

    let mut flights = Vec::new();
    // Where the last stretch looked at ended: a stretch dropped (its landing unseen, say)
    // was still in the air, and the next one's standing level must not be read there.
    let mut examined_until = 0;
    let mut i = 0;
    while i < n {
        let (Some(y), Some(l)) = (ankle_y[i], level[i]) else {
            i += 1;
            continue;
        };
        if l - y < airborne_px {
            i += 1;
            continue;
        }
        // Extent of this airborne stretch.
        let mut j = i;
        while let Some(next) = next_seen(j).filter(|&m| airborne(m)) {
            j = next;
        }
        let apex = (i..=j)
            .filter(|&k| ankle_y[k].is_some())
            .min_by(|&a, &b| {
                ankle_y[a]
                    .unwrap_or(f64::MAX)
                    .total_cmp(&ankle_y[b].unwrap_or(f64::MAX))
            })
            .unwrap_or(i);
        // Standing levels just before and after the airborne frames (the contact phases),
        // never reaching back into the last flight.
        let floor = flights
            .last()
            .map_or(0, |f: &Flight| f.first_contact)
            .max(examined_until);
        let window = (0.5 * sample_rate_hz).round() as usize;
        let levels_around = |first_airborne: usize, last_airborne: usize| {
            let before = standing_level(
                times_s,
                ankle_y,
                first_airborne.saturating_sub(window + 2).max(floor),
                first_airborne.saturating_sub(2),
                drifts,
            );
            let after = standing_level(
                times_s,
                ankle_y,
                (last_airborne + 3).min(n),
                (last_airborne + 3 + window).min(n),
                drifts,
            );
            // One side unseen: the other's level stands for both, without its drift,
            // which would be carried across the whole flight.
            before
                .or(after.map(StandingLevel::steady))
                .zip(after.or(before.map(StandingLevel::steady)))
        };
        let rise = |k: usize, base: &StandingLevel| ankle_y[k].map(|y| base.at(times_s[k]) - y);
        // Walk out from the apex to the contact level on each side (never back into the
        // last flight), over short unseen runs in the air.
        let contacts = |before: &StandingLevel, after: &StandingLevel| {
            let mut a = apex;
            while a > floor && rise(a, before).is_some_and(|r| r > contact_px) {
                match previous_seen(a).filter(|&m| m >= floor) {
                    Some(m) => a = m,
                    None => {
                        a -= 1;
                        break;
                    }
                }
            }
            let mut b = apex;
            while b + 1 < n && rise(b, after).is_some_and(|r| r > contact_px) {
                match next_seen(b) {
                    Some(m) => b = m,
                    None => {
                        b += 1;
                        break;
                    }
                }
            }
            (a, b)
        };
        let Some((mut before, mut after)) = levels_around(i, j) else {
            examined_until = j;
            i = j + 1;
            continue;
        };
        let (mut a, mut b) = contacts(&before, &after);
        // The stretch was read against the lowest the ankles get within a second, which a
        // swaying picture moves too: standing frames lifted by the sway can open or close
        // it. The levels are taken again next to the contacts found, and the contacts with
        // them (with the camera measured the levels barely move: the overlay CMJ's
        // variants by at most 0.4 cm of height).
        if a < b
            && let Some((again_before, again_after)) = levels_around(a + 1, b - 1)
        {
            (before, after) = (again_before, again_after);
            (a, b) = contacts(&before, &after);
        }
        if a >= b {
            examined_until = j;
            i = j + 1;
            continue;
        }
        // A flight is timed from contact to contact: a trace that opens or ends in the air
        // (the clip cut mid-flight, or a swaying camera lifting the whole picture at an edge)
        // shows no take-off or no landing to time it by.
        let unseen_contact =
            |k: usize, base: &StandingLevel| rise(k, base).is_some_and(|r| r > contact_px);
        if unseen_contact(a, &before) || unseen_contact(b, &after) {
            examined_until = j;
            i = b.max(j) + 1;
            continue;
        }
        // Between the contact and the airborne sample next to it (seen, over a short gap).
        let first_up = next_seen(a).unwrap_or(a + 1);
        let last_up = previous_seen(b).unwrap_or(b - 1);
        let take_off = crossing(times_s, |k| rise(k, &before), a, first_up, contact_px);
        let landing = crossing(times_s, |k| rise(k, &after), last_up, b, contact_px);
        let period = 1.0 / sample_rate_hz.max(1e-6);
        let ballistic = ballistic_fit(
            times_s,
            ankle_y,
            companions,
            a,
            b,
            before.at(times_s[a]) - contact_px,
            after.at(times_s[b]) - contact_px,
        );
        // A flight is a free fall: feet that rise and sink with a curvature far from
        // gravity's (a camera swaying, a body bobbing) did not leave the ground.
        let px_per_m = body_unit_px / (SHOULDER_TO_ANKLE_CHAIN_FRACTION * ASSUMED_STATURE_M);
        if let Some(fit) = &ballistic {
            let g = fit.acceleration_px_s2 / px_per_m / GRAVITY_M_S2;
            if !(FREE_FALL_MIN_G..=FREE_FALL_MAX_G).contains(&g) {
                examined_until = j;
                i = b.max(j) + 1;
                continue;
            }
        }
        let (take_off, landing) = match (take_off, landing, ballistic.and_then(|f| f.crossings)) {
            // The parabola through every airborne frame times the crossings more finely
            // than the two frames around each; it must agree with them within a frame.
            (Some(t0), Some(t1), Some((fit_t0, fit_t1)))
                if (fit_t0 - t0).abs() <= period && (fit_t1 - t1).abs() <= period =>
            {
                (Some(fit_t0), Some(fit_t1))
            }
            (t0, t1, _) => (t0, t1),
        };
        if let (Some(take_off_s), Some(landing_s)) = (take_off, landing)
            && landing_s - take_off_s >= MIN_FLIGHT_S
        {
            flights.push(Flight {
                take_off_s,
                landing_s,
                last_contact: a,
                apex,
                first_contact: b,
            });
        }
        examined_until = j;
        i = b.max(j) + 1;
    }
    flights
}

/// Longest unseen run a flight goes on through. Between two airborne samples, a landing
/// and a new take-off take at least the fall from the airborne rise to the contact rise
/// and the climb back ([`AIRBORNE_RISE_BODY`] - [`CONTACT_RISE_BODY`], about 6 cm: 0.11 s
/// each way under gravity), so a shorter gap between airborne samples is one flight.
const MAX_UNSEEN_IN_FLIGHT_S: f64 = 0.15;

/// Minimum airborne frames for a ballistic fit (a parabola needs three; one more
/// makes it a fit rather than an interpolation).
const BALLISTIC_MIN_SAMPLES: usize = 4;

/// A flight shorter than this (a 1.2 cm hop) is below what the contact level resolves:
/// a flicker of the ankle trace, not a jump.
const MIN_FLIGHT_S: f64 = 0.1;

/// Stature assumed to turn the body unit into metres for the free-fall check.
const ASSUMED_STATURE_M: f64 = 1.75;
/// The airborne ankles' fitted acceleration must lie within this many g: wide enough
/// for any stature (1.4-2.1 m) and for legs that tuck or extend in the air, far from a
/// swaying camera (~0.1 g) or a bobbing body.
const FREE_FALL_MIN_G: f64 = 0.35;
const FREE_FALL_MAX_G: f64 = 3.0;

/// A parabola fitted to a flight (see [`ballistic_fit`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct BallisticFit {
    /// Downward acceleration of the airborne ankles in pixels/s^2 (negative when the
    /// fitted curve opens the wrong way: rising and sinking is not falling).
    acceleration_px_s2: f64,
    /// Times the curve crosses the take-off and landing levels, when it opens downward
    /// in the picture and reaches both.
    crossings: Option<(f64, f64)>,
}

/// In the air the ankles follow a parabola (gravity, nothing else): fitted by least
/// squares to the frames strictly between the last and the first contact, it gives the
/// times it crosses the take-off level (`level_up`, image y) on the way up and the landing
/// level (`level_down`) on the way down, using every airborne frame rather than only the
/// two around each crossing, and the acceleration it implies. `None` when too few frames
/// are airborne to fit; no crossings when the fit does not open downward in the picture
/// (y grows downward, so the fitted curvature must be > 0) or misses a level.
#[allow(clippy::too_many_arguments)]
fn ballistic_fit(
    times_s: &[f64],
    ankle_y: &[Option<f64>],
    companions: &[&[Option<f64>]],
    last_contact: usize,
    first_contact: usize,
    level_up: f64,
    level_down: f64,
) -> Option<BallisticFit> {
    let airborne = last_contact + 1..first_contact;
    let ankle_samples = airborne.clone().filter(|&k| ankle_y[k].is_some()).count();
    if ankle_samples < BALLISTIC_MIN_SAMPLES {
        return None;
    }
    let t_ref = times_s[airborne.start];
    let mid = (times_s[airborne.end - 1] - t_ref) / 2.0;
    let mut series: Vec<&[Option<f64>]> = vec![ankle_y];
    series.extend_from_slice(companions);
    // The body's curvature from every point that falls with it ...
    let (_, _, c2) = fitvision_kinematics::derivative::shared_parabola_fit(
        times_s,
        &series,
        airborne.clone(),
        t_ref + mid,
    )?;
    // ... and the ankles' own height and speed under it (the legs fold and unfold in the
    // air, so the ankles do not keep a fixed offset from the hips).
    let a = c2 / 2.0;
    let (c0, c1) = line_fit(
        airborne
            .filter_map(|k| ankle_y[k].map(|y| (times_s[k] - t_ref - mid, y)))
            .map(|(u, y)| (u, y - a * u * u)),
    )?;
    // y(u) = c0 + c1 u + a u^2 with u = t - t_ref - mid; roots of y(u) = level.
    let roots = |level: f64| {
        let disc = c1 * c1 - 4.0 * a * (c0 - level);
        (a > 0.0 && disc >= 0.0).then(|| {
            let r = disc.sqrt();
            ((-c1 - r) / (2.0 * a), (-c1 + r) / (2.0 * a))
        })
    };
    let crossings = roots(level_up)
        .zip(roots(level_down))
        .map(|((up, _), (_, down))| (t_ref + mid + up, t_ref + mid + down));
    Some(BallisticFit {
        acceleration_px_s2: c2,
        crossings,
    })
}

/// Least-squares line `y = c0 + c1 u` through `(u, y)` points; `None` with fewer than
/// two distinct `u`.
fn line_fit(points: impl Iterator<Item = (f64, f64)>) -> Option<(f64, f64)> {
    let (mut n, mut su, mut sy, mut suu, mut suy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (u, y) in points {
        n += 1.0;
        su += u;
        sy += y;
        suu += u * u;
        suy += u * y;
    }
    let det = n * suu - su * su;
    if n < 2.0 || det.abs() <= 1e-12 {
        return None;
    }
    let c1 = (n * suy - su * sy) / det;
    Some(((sy - c1 * su) / n, c1))
}

/// Where the standing ankles are in the picture on one side of a flight: a level that
/// may drift in time. Standing feet do not move, but a hand-held camera's picture does,
/// and with nothing behind the athlete to measure the camera by (a plain wall, a removed
/// background), the pose stage leaves the ankles in the picture's frame. A sway of a few
/// percent of the picture per second then carries the ground level by several cm between
/// the middle of the standing window and the take-off or landing, moving the contact
/// crossings by tens of ms; the drift read off the standing ankles themselves carries
/// the level to the crossing (Theil-Sen: the push-off's first frames of heel rise tilt it
/// less than a least-squares line, but still some, so a drift is fitted only where the
/// camera is unknown: 70.0 -> 67.7 cm on the overlay CMJ's 60 fps copy otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
struct StandingLevel {
    /// Median time of the standing window's samples.
    t_ref: f64,
    level_px: f64,
    drift_px_s: f64,
}

impl StandingLevel {
    fn at(&self, t: f64) -> f64 {
        self.level_px + self.drift_px_s * (t - self.t_ref)
    }

    fn steady(self) -> Self {
        Self {
            drift_px_s: 0.0,
            ..self
        }
    }
}

/// Fewer standing samples than this give a level without a drift (a slope from two or
/// three frames is mostly keypoint jitter).
const DRIFT_MIN_SAMPLES: usize = 5;

/// [`StandingLevel`] of the ankle samples in `from..to` (flat unless `drifts`); `None`
/// when there are none. A flat level is the median: where the ground's frame is known the
/// few frames of a push-off's heel rise at the window's end would only tilt a fitted line.
fn standing_level(
    times_s: &[f64],
    y: &[Option<f64>],
    from: usize,
    to: usize,
    drifts: bool,
) -> Option<StandingLevel> {
    let to = to.min(y.len());
    let points: Vec<(f64, f64)> = (from..to)
        .filter_map(|k| y[k].map(|v| (times_s[k], v)))
        .collect();
    let times: Vec<f64> = points.iter().map(|p| p.0).collect();
    let t_ref = stats::median(&times)?;
    let fitted = (drifts && points.len() >= DRIFT_MIN_SAMPLES)
        .then(|| {
            let centred: Vec<(f64, f64)> = points.iter().map(|&(t, v)| (t - t_ref, v)).collect();
            stats::theil_sen(&centred)
        })
        .flatten();
    let (drift_px_s, level_px) = match fitted {
        Some(fit) => fit,
        None => (0.0, baseline(y, from, to)?),
    };
    Some(StandingLevel {
        t_ref,
        level_px,
        drift_px_s,
    })
}

fn baseline(y: &[Option<f64>], from: usize, to: usize) -> Option<f64> {
    if from >= to {
        return None;
    }
    let w: Vec<f64> = y[from..to].iter().flatten().copied().collect();
    stats::median(&w)
}

/// Time where `value` crosses `level` between frames `a` and `b`, linearly interpolated.
fn crossing(
    times_s: &[f64],
    value: impl Fn(usize) -> Option<f64>,
    a: usize,
    b: usize,
    level: f64,
) -> Option<f64> {
    let (va, vb) = (value(a)?, value(b)?);
    if (va - vb).abs() < 1e-12 {
        return Some((times_s[a] + times_s[b]) / 2.0);
    }
    let f = ((level - va) / (vb - va)).clamp(0.0, 1.0);
    Some(times_s[a] + f * (times_s[b] - times_s[a]))
}

/// Runs the jump analysis; `broad` adds the horizontal distance.
pub fn analyze(ctx: &mut Context, broad: bool) {
    let Some(unit) = ctx.subject.body_unit_px() else {
        ctx.warn("legs never visible: cannot detect jumps");
        return;
    };
    let ankles = ankle_y(ctx);
    let (knees, hips) = (limb_y(ctx, Limb::Knee), limb_y(ctx, Limb::Hip));
    let frame = if ctx.subject.has_ground_frame() {
        AnkleFrame::Ground
    } else {
        AnkleFrame::Picture
    };
    let flights = find_flights_with(
        &ctx.subject.times_s,
        &ankles,
        &[&knees, &hips],
        frame,
        unit,
        ctx.subject.sample_rate_hz,
    );
    let ppm = if broad {
        super::scale_or_assumed(ctx)
    } else {
        None
    };
    let ankle_x: Vec<Option<f64>> = (0..ctx.subject.len())
        .map(|i| ctx.subject.ground_limb_mid(i, Limb::Ankle).map(|p| p.x))
        .collect();

    let mut reps = Vec::new();
    let mut best_height: Option<f64> = None;
    let mut best_distance: Option<f64> = None;
    for (k, f) in flights.iter().enumerate() {
        let mut rep = ctx.rep(k, f.last_contact, f.apex, f.first_contact);
        rep.start_timestamp_ms = round2(f.take_off_s * 1000.0);
        rep.end_timestamp_ms = round2(f.landing_s * 1000.0);
        let height_cm = f.height_m() * 100.0;
        rep.range_of_motion = round2(height_cm);
        rep.analyses
            .push(analysis("FLIGHT_TIME_MS", f.flight_time_s() * 1000.0));
        rep.analyses.push(analysis("JUMP_HEIGHT_CM", height_cm));
        best_height = Some(best_height.map_or(height_cm, |b: f64| b.max(height_cm)));
        if broad && let Some(ppm) = ppm {
            let n = ctx.subject.len();
            let w = (0.3 * ctx.subject.sample_rate_hz).round() as usize;
            let before = baseline(
                &ankle_x,
                f.last_contact.saturating_sub(w),
                f.last_contact + 1,
            );
            let settle = f.first_contact + (0.2 * ctx.subject.sample_rate_hz).round() as usize;
            let after = baseline(&ankle_x, settle.min(n), (settle + w).min(n));
            if let (Some(a), Some(b)) = (before, after) {
                let cm = (b - a).abs() / ppm * 100.0;
                rep.analyses.push(analysis("JUMP_DISTANCE_CM", cm));
                best_distance = Some(best_distance.map_or(cm, |d: f64| d.max(cm)));
            }
        }
        ctx.phase(phases::FLIGHT, f.last_contact, f.first_contact);
        reps.push(rep);
    }
    ctx.result.rep_count = reps.len() as u32;
    ctx.result.reps = reps;
    ctx.result.form_score = if flights.is_empty() { 0.0 } else { 1.0 };
    if let Some(best) = flights
        .iter()
        .max_by(|a, b| a.flight_time_s().total_cmp(&b.flight_time_s()))
    {
        ctx.metric(metrics::JUMP_HEIGHT_CM, best_height.unwrap_or(0.0));
        ctx.metric(metrics::FLIGHT_TIME_MS, best.flight_time_s() * 1000.0);
        ctx.metric(
            metrics::TAKEOFF_VELOCITY_M_S,
            GRAVITY_M_S2 * best.flight_time_s() / 2.0,
        );
        ctx.metric(metrics::TAKEOFF_TIMESTAMP_MS, best.take_off_s * 1000.0);
        ctx.metric(metrics::LANDING_TIMESTAMP_MS, best.landing_s * 1000.0);
    } else {
        ctx.warn("no flight phase found: the feet never left the ground clearly");
    }
    ctx.metric(metrics::JUMP_COUNT, flights.len() as f64);
    if let Some(d) = best_distance {
        ctx.metric(metrics::JUMP_DISTANCE_CM, d);
    }
    let rise: Vec<Option<f64>> = {
        let ground = signals::ground_y(&ctx.subject);
        ankles
            .iter()
            .map(|y| y.map(|y| (ground - y) / unit))
            .collect()
    };
    ctx.series(series::ANKLE_HEIGHT, "body", &rise);
}

fn analysis(kind: &str, v: f64) -> fitvision_proto::v1::RepAnalysis {
    fitvision_proto::v1::RepAnalysis {
        analysis_type: kind.into(),
        scalar: Some(round2(v)),
        opinion: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ankle trace of a jump: standing, a push-off that accelerates the ankle
    /// uniformly up to the take-off velocity as it reaches the contact level
    /// (velocity is continuous at toe-off), ballistic flight, and the mirror
    /// image on landing.
    fn trace(
        fs: f64,
        t_flight: f64,
        phase: f64,
        ppm: f64,
        unit_px: f64,
    ) -> (Vec<f64>, Vec<Option<f64>>) {
        let ground = 800.0;
        let c = CONTACT_RISE_BODY * unit_px;
        let t0 = 1.0 + phase / fs;
        let v0 = GRAVITY_M_S2 * t_flight / 2.0 * ppm;
        let push = 2.0 * c / v0;
        let t1 = t0 + t_flight;
        let times: Vec<f64> = (0..(3.5 * fs) as usize).map(|i| i as f64 / fs).collect();
        let y = times
            .iter()
            .map(|&t| {
                let r = if t < t0 - push || t > t1 + push {
                    0.0
                } else if t < t0 {
                    v0 * (t - (t0 - push)).powi(2) / (2.0 * push)
                } else if t <= t1 {
                    let tau = t - t0;
                    c + v0 * tau - GRAVITY_M_S2 * ppm * tau * tau / 2.0
                } else {
                    v0 * ((t1 + push) - t).powi(2) / (2.0 * push)
                };
                Some(ground - r)
            })
            .collect();
        (times, y)
    }

    #[test]
    fn ballistic_flight_gives_height_within_a_millimetre_at_120fps() {
        // Slow-motion capture: the linear crossing error (curvature * dt^2 / 8 over
        // the take-off speed) falls to ~0.3 mm of jump height.
        for phase in [0.0, 0.13, 0.5, 0.77] {
            for t in [0.4, 0.5, 0.78] {
                // A 1.75 m athlete at 400 px/m: chain = 0.779 * 1.75 * 400 px.
                let unit = 0.779 * 1.75 * 400.0;
                let (times, y) = trace(120.0, t, phase, 400.0, unit);
                let flights = find_flights(&times, &y, AnkleFrame::Ground, unit, 120.0);
                assert_eq!(flights.len(), 1, "t={t} phase={phase}");
                let expected = GRAVITY_M_S2 * t * t / 8.0;
                let err = (flights[0].height_m() - expected).abs();
                assert!(err < 0.001, "t={t} phase={phase} err={err}");
            }
        }
    }

    #[test]
    fn at_30fps_the_error_stays_within_the_interpolation_bound() {
        // Linear sub-frame interpolation: per crossing the time error is at most
        // curvature * dt^2 / 8 / take-off speed (the push-off curvature v^2 / 2c
        // dominates), ~1.3 ms at 30 fps, i.e. about 5 mm of a 75 cm jump.
        for phase in [0.0, 0.3, 0.6, 0.9] {
            let unit = 0.779 * 1.75 * 400.0;
            let (times, y) = trace(30.0, 0.78, phase, 400.0, unit);
            // A still picture whose camera could not be measured is timed alike.
            for frame in [AnkleFrame::Ground, AnkleFrame::Picture] {
                let f = find_flights(&times, &y, frame, unit, 30.0);
                let expected = GRAVITY_M_S2 * 0.78f64.powi(2) / 8.0;
                let err = (f[0].height_m() - expected).abs();
                assert!(err < 0.006, "phase={phase} {frame:?} err={err}");
            }
        }
    }

    #[test]
    fn a_jumper_unseen_for_a_tenth_of_a_second_in_the_air_is_timed_over_the_whole_flight() {
        // A 0.78 s jump at 30 fps whose jumper is lost for 1-4 frames around the apex (the
        // head out of the top of the picture): still one flight, timed as when seen whole;
        // never a short second "flight" read from the apex to the landing.
        let unit = 0.779 * 1.75 * 400.0;
        let expected = GRAVITY_M_S2 * 0.78f64.powi(2) / 8.0;
        for unseen in 1..=4 {
            for phase in [0.0, 0.5] {
                let (times, mut y) = trace(30.0, 0.78, phase, 400.0, unit);
                // Take-off at 1.0 s, the apex 0.39 s later (frame 41.7).
                y[41..41 + unseen].fill(None);
                let flights = find_flights(&times, &y, AnkleFrame::Ground, unit, 30.0);
                assert_eq!(
                    flights.len(),
                    1,
                    "unseen {unseen} phase {phase}: {flights:?}"
                );
                let err = (flights[0].height_m() - expected).abs();
                assert!(err < 0.006, "unseen {unseen} phase {phase}: err {err}");
            }
        }
    }

    #[test]
    fn a_clip_cut_in_the_air_times_only_the_flight_it_shows_whole() {
        // The trace of a 0.5 s jump at 30 fps, cut so that it opens 0.1 s after take-off,
        // followed by a whole second jump: the first has no take-off to time it by.
        let unit = 0.779 * 1.75 * 400.0;
        let (times, y) = trace(30.0, 0.5, 0.0, 400.0, unit);
        let (second_times, second_y) = trace(30.0, 0.4, 0.0, 400.0, unit);
        let cut = 33; // t0 = 1.0 s; the ankles are 3 frames into the air
        let mut times: Vec<f64> = times[cut..].iter().map(|t| t - times[cut]).collect();
        let mut y = y[cut..].to_vec();
        let offset = times.last().copied().unwrap_or(0.0) + 1.0 / 30.0;
        times.extend(second_times.iter().map(|t| t + offset));
        y.extend(second_y);
        let flights = find_flights(&times, &y, AnkleFrame::Ground, unit, 30.0);
        assert_eq!(flights.len(), 1, "{flights:?}");
        let expected = GRAVITY_M_S2 * 0.4f64.powi(2) / 8.0;
        assert!((flights[0].height_m() - expected).abs() < 0.006);
        assert!(flights[0].take_off_s > offset, "{flights:?}");
    }

    #[test]
    fn feet_that_sink_and_rise_again_in_the_air_did_not_leave_the_ground() {
        // Feet snapped up, sinking to 0.15 body units (above the contact level) and
        // rising again before they come down: a body in free fall cannot turn back up
        // without touching down, so the curve through the stretch bends the wrong way
        // and no 0.9 s "jump" is timed from it.
        let unit = 0.779 * 1.75 * 400.0;
        let times: Vec<f64> = (0..150).map(|i| i as f64 / 30.0).collect();
        let y: Vec<Option<f64>> = times
            .iter()
            .map(|&t| {
                let u = t - 2.0;
                let lift = if (0.0..0.05).contains(&u) {
                    0.35 * u / 0.05
                } else if (0.05..0.85).contains(&u) {
                    0.15 + 0.2 * ((u - 0.45) / 0.4).powi(2)
                } else if (0.85..0.9).contains(&u) {
                    0.35 * (0.9 - u) / 0.05
                } else {
                    0.0
                };
                Some(800.0 - unit * lift)
            })
            .collect();
        assert!(find_flights(&times, &y, AnkleFrame::Ground, unit, 30.0).is_empty());
    }

    #[test]
    fn a_swaying_camera_without_background_leaves_the_height_to_the_flight() {
        // The same jump filmed hand-held in front of a plain wall: the whole picture sways
        // (0.31 Hz, 0.09 body units either way, as a 90% crop wandering over a 1080p frame)
        // and nothing behind the athlete lets the pose stage measure it, so the ankles
        // carry the sway. At every phase of the sway the flight is still timed by its own
        // contacts, within 1.5 cm of height (on the real clip the median level of the
        // half second before take-off stood ~0.06 body units off the ground at take-off,
        // and a 0.45 s flight read 70 ms long; here, with fitted levels but contacts
        // walked out from the airborne stretch's ends, standing frames lifted by the sway
        // read as airborne and one phase read +37 cm).
        let unit = 0.779 * 1.75 * 400.0;
        let sway_px = 0.09 * unit;
        for t_flight in [0.45, 0.78] {
            let expected = GRAVITY_M_S2 * t_flight * t_flight / 8.0;
            for phase in 0..8 {
                let (times, y) = trace(30.0, t_flight, 0.0, 400.0, unit);
                let phase = f64::from(phase) * std::f64::consts::PI / 4.0;
                let swayed: Vec<Option<f64>> = times
                    .iter()
                    .zip(&y)
                    .map(|(&t, y)| {
                        y.map(|y| {
                            y + sway_px * (2.0 * std::f64::consts::PI * 0.31 * t + phase).sin()
                        })
                    })
                    .collect();
                let flights = find_flights(&times, &swayed, AnkleFrame::Picture, unit, 30.0);
                assert_eq!(flights.len(), 1, "flight {t_flight} phase {phase}");
                let err = flights[0].height_m() - expected;
                assert!(err.abs() < 0.015, "flight {t_flight} phase {phase}: {err}");
            }
        }
    }

    #[test]
    fn standing_still_is_no_flight() {
        let times: Vec<f64> = (0..90).map(|i| i as f64 / 30.0).collect();
        let y: Vec<Option<f64>> = (0..90).map(|i| Some(800.0 + (i % 3) as f64)).collect();
        assert!(find_flights(&times, &y, AnkleFrame::Ground, 600.0, 30.0).is_empty());
    }
}

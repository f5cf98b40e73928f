//! The engine entry point: one definition + one pose track -> one result.

use std::collections::HashMap;

use fitvision_kinematics::scale;
use fitvision_proto::v1::{AnalysisResult, Phase, PoseTrack, Rep, Subject};
use thiserror::Error;

use crate::analyzers;
use crate::definition::{AnalyzerKind, ExerciseDefinition, Mode, SignalSpec};
use crate::form::{self, SignalCache};
use crate::hold;
use crate::names::{self, phases};
use crate::plate::PlateObservation;
use crate::reps::{self, RepSpan};
use crate::series::{self, presentable};
use crate::signals::{self, SignalStore};
use crate::subject::{DEFAULT_MIN_SCORE, SubjectTrack};

/// Body mass assumed for calories when the subject's is unknown (adult mean).
pub const DEFAULT_BODY_MASS_KG: f64 = 70.0;

/// Frames whose mean body keypoint confidence reaches this count as accurate poses.
const ACCURATE_POSE_CONFIDENCE: f64 = 0.5;

#[derive(Debug, Error, PartialEq)]
pub enum AnalysisError {
    #[error("the pose track has no frames")]
    EmptyTrack,
    #[error("no person was detected in any of the track's {frames} frames")]
    NoPerson { frames: usize },
}

/// Inputs beyond the track and subject.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// A plate of known size seen in the video: the scale (preferred to the
    /// subject's height) and, for lifts, the bar position where located.
    pub plate: Option<PlateObservation>,
    /// Keypoints below this confidence are ignored.
    pub min_keypoint_score: f64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            plate: None,
            min_keypoint_score: DEFAULT_MIN_SCORE,
        }
    }
}

/// Everything an analyser needs, and the result it fills in.
pub struct Context<'a> {
    pub def: &'a ExerciseDefinition,
    pub subject: SubjectTrack,
    pub params: Subject,
    pub options: AnalyzeOptions,
    pub result: AnalysisResult,
    /// Cleaned signals at the definition's cut-off, shared by every step.
    pub signals: SignalStore,
}

impl Context<'_> {
    pub fn warn(&mut self, message: impl Into<String>) {
        self.result.warnings.push(message.into());
    }

    /// Pixels per metre: from a plate when given, else from the subject's height.
    pub fn pixels_per_metre(&self) -> Option<f64> {
        if let Some(ppm) = self
            .options
            .plate
            .as_ref()
            .and_then(PlateObservation::pixels_per_metre)
        {
            return Some(ppm);
        }
        let chains: Vec<f64> = (0..self.subject.len())
            .filter_map(|i| self.subject.chain_length_px(i))
            .collect();
        scale::pixels_per_metre_from_height(&chains, self.params.height_m)
    }

    /// Pixels per metre from the subject's body alone, assuming a typical adult stature
    /// ([`scale::TYPICAL_ADULT_STATURE_M`]) when neither a plate nor the height is known.
    pub fn pixels_per_metre_from_typical_stature(&self) -> Option<f64> {
        let chains: Vec<f64> = (0..self.subject.len())
            .filter_map(|i| self.subject.chain_length_px(i))
            .collect();
        scale::pixels_per_metre_from_height(&chains, scale::TYPICAL_ADULT_STATURE_M)
    }

    pub fn metric(&mut self, key: &str, value: f64) {
        if value.is_finite() {
            self.result
                .metrics
                .insert(key.to_string(), (value * 1000.0).round() / 1000.0);
        }
    }

    pub fn series(&mut self, key: &str, unit: &str, values: &[Option<f64>]) {
        if let Some(v) = presentable(&self.subject.times_s, values) {
            self.result
                .series
                .insert(key.to_string(), series::series(unit, v));
        }
    }

    pub fn phase(&mut self, name: &str, start: usize, end: usize) {
        let s = &self.subject;
        self.result.phases.push(Phase {
            name: name.to_string(),
            start_frame_index: s.frame_indices[start],
            end_frame_index: s.frame_indices[end],
            start_timestamp_ms: s.timestamps_ms[start],
            end_timestamp_ms: s.timestamps_ms[end],
        });
    }

    /// A result rep spanning the given frames.
    pub fn rep(&self, index: usize, start: usize, mid: usize, end: usize) -> Rep {
        let s = &self.subject;
        Rep {
            index: index as u32,
            start_timestamp_ms: s.timestamps_ms[start],
            mid_timestamp_ms: s.timestamps_ms[mid],
            end_timestamp_ms: s.timestamps_ms[end],
            start_frame_index: s.frame_indices[start],
            mid_frame_index: s.frame_indices[mid],
            end_frame_index: s.frame_indices[end],
            good_form: true,
            ..Default::default()
        }
    }

    /// The cleaned signal of `spec` at the definition's cut-off (computed once).
    pub fn followed(&mut self, spec: &SignalSpec) -> &Vec<Option<f64>> {
        self.signals.followed(&self.subject, spec)
    }

    /// Cleaned signals for every spec the definition's analyses, checks and hold use.
    pub fn signal_cache(&mut self) -> SignalCache {
        let def = self.def;
        let mut specs: Vec<&SignalSpec> = Vec::new();
        specs.extend(def.analyses.iter().filter_map(|a| a.signal.as_ref()));
        specs.extend(
            def.form_checks
                .iter()
                .filter_map(|c| c.rule.signal.as_ref()),
        );
        if let Some(h) = &def.hold {
            specs.extend(h.conditions.iter().map(|c| &c.signal));
        }
        let mut cache = HashMap::new();
        for spec in specs {
            if !cache.contains_key(spec) {
                cache.insert(spec.clone(), self.followed(spec).clone());
            }
        }
        cache
    }

    /// Fills reps (with analyses, tempo and form) and the set's form aggregates from spans.
    pub fn apply_reps(&mut self, spans: &[RepSpan], cache: &SignalCache) {
        let times = self.subject.times_s.clone();
        let mut per_rep_checks = Vec::with_capacity(spans.len());
        let mut reps = Vec::with_capacity(spans.len());
        for (k, span) in spans.iter().enumerate() {
            let mut rep = self.rep(k, span.start, span.mid, span.end);
            rep.analyses = form::rep_analyses(span, &self.def.analyses, cache, &times);
            rep.range_of_motion = form::round2(span.range);
            if let Some(rules) = &self.def.reps {
                let (ecc, con) = form::tempo(span, rules, &times);
                rep.eccentric_s = form::round2(ecc);
                rep.concentric_s = form::round2(con);
            }
            let checks = form::rep_checks(span, &self.def.form_checks, cache, &times);
            rep.good_form = checks.iter().all(|c| *c != Some(false));
            per_rep_checks.push(checks);
            reps.push(rep);
        }
        let (violations, score) = form::aggregate(&self.def.form_checks, &per_rep_checks);
        self.result.rep_count = reps.len() as u32;
        self.result.reps = reps;
        self.result.form_violations = violations;
        self.result.form_score = score.unwrap_or(if spans.is_empty() { 0.0 } else { 1.0 });
    }
}

/// Analyses `track` as `def` for the athlete `params`.
pub fn analyze(
    def: &ExerciseDefinition,
    track: &PoseTrack,
    params: &Subject,
    options: &AnalyzeOptions,
) -> Result<AnalysisResult, AnalysisError> {
    if track.frames.is_empty() {
        return Err(AnalysisError::EmptyTrack);
    }
    let subject = SubjectTrack::from_track(track, options.min_keypoint_score).ok_or(
        AnalysisError::NoPerson {
            frames: track.frames.len(),
        },
    )?;
    let n = subject.len();
    let mut signals = SignalStore::new(def.filter_cutoff_hz);
    let accurate = (0..n)
        .filter(|&i| subject.body_confidence(i) >= ACCURATE_POSE_CONFIDENCE)
        .count();
    let result = AnalysisResult {
        exercise_id: def.id.clone(),
        mode: def.mode.as_str().to_string(),
        pose_accuracy: form::round4(accurate as f64 / n as f64),
        duration_s: form::round2(subject.duration_s()),
        subject_track_id: subject.track_id,
        series_timestamps_ms: subject.timestamps_ms.clone(),
        series: series::angle_series(&subject, &mut signals),
        ..Default::default()
    };
    let mut ctx = Context {
        def,
        subject,
        params: *params,
        options: options.clone(),
        result,
        signals,
    };
    if ctx.result.pose_accuracy < 0.3 {
        ctx.warn(
            "LOW_QUALITY_POSE_ESTIMATE: fewer than 30% of frames have a confident full-body pose",
        );
    }
    match (def.analyzer, def.mode) {
        (AnalyzerKind::Generic, Mode::Rep) => {
            generic_reps(&mut ctx);
        }
        (AnalyzerKind::Generic, Mode::Timer) => generic_hold(&mut ctx),
        (AnalyzerKind::Skipping, _) => analyzers::skipping::analyze(&mut ctx),
        (AnalyzerKind::VerticalJump, _) => analyzers::jump::analyze(&mut ctx, false),
        (AnalyzerKind::BroadJump, _) => analyzers::jump::analyze(&mut ctx, true),
        (AnalyzerKind::Sprint, _) => analyzers::sprint::analyze(&mut ctx),
        (AnalyzerKind::Weightlifting, _) => analyzers::lift::analyze(&mut ctx),
        (AnalyzerKind::SitAndReach, _) => analyzers::reach::analyze(&mut ctx),
    }
    let mass = if ctx.params.body_mass_kg > 0.0 {
        ctx.params.body_mass_kg
    } else {
        DEFAULT_BODY_MASS_KG
    };
    // kcal = MET x kg x hours (1 MET = 1 kcal/kg/h).
    ctx.result.calories_kcal = form::round2(def.met * mass * ctx.result.duration_s / 3600.0);
    Ok(ctx.result)
}

/// Below this share of the subject's frames with the main signal measured, a definition's
/// fallback signal counts the reps.
const FALLBACK_BELOW_COVERAGE: f64 = 0.6;

/// Share of the frames with the subject in which `spec` can be measured.
fn signal_coverage(ctx: &Context, spec: &SignalSpec) -> f64 {
    let raw = signals::raw_signal(&ctx.subject, spec);
    let present = (0..ctx.subject.len())
        .filter(|&i| ctx.subject.is_present(i))
        .count();
    raw.iter().flatten().count() as f64 / present.max(1) as f64
}

/// Generic rep counting on the definition's signal (or its fallback, see
/// [`ExerciseDefinition::fallback`]). Returns the spans counted, with their ranges
/// unrounded (a rep's `range_of_motion` is rounded for display).
pub fn generic_reps(ctx: &mut Context) -> Vec<RepSpan> {
    let (Some(spec), Some(rules)) = (ctx.def.signal.clone(), ctx.def.reps.clone()) else {
        ctx.warn("definition has no signal/rep rules: nothing to count");
        return Vec::new();
    };
    let (spec, rules) = match ctx.def.fallback.clone() {
        Some(fallback) if signal_coverage(ctx, &spec) < FALLBACK_BELOW_COVERAGE => {
            ctx.warn(format!(
                "the body parts of the main signal are hidden in most frames: reps counted on {:?}",
                fallback.signal
            ));
            (fallback.signal, fallback.reps)
        }
        _ => (spec, rules),
    };
    let clean = ctx.signals.followed(&ctx.subject, &spec);
    let followed = signals::detrend(&ctx.subject, clean, rules.detrend_s);
    if followed.iter().all(|v| v.is_none()) {
        ctx.warn("the followed body parts were never confidently visible");
    }
    let spans = reps::segment_reps(&ctx.subject.times_s, &followed, &rules);
    let cache = ctx.signal_cache();
    ctx.apply_reps(&spans, &cache);
    ctx.series(
        names::series::FOLLOWED_SIGNAL,
        signals::unit_of(&spec),
        &followed,
    );
    spans
}

/// Generic timer mode: total time the hold conditions are met.
pub fn generic_hold(ctx: &mut Context) {
    let Some(rules) = ctx.def.hold.clone() else {
        ctx.warn("definition has no hold rules: nothing to time");
        return;
    };
    let cache = ctx.signal_cache();
    let mask = hold::hold_mask(&rules, &cache, ctx.subject.len());
    let times = ctx.subject.times_s.clone();
    let spans = hold::hold_spans(&mask, &times, &rules);
    ctx.result.hold_time_s = form::round2(hold::hold_seconds(
        &spans,
        &times,
        ctx.subject.sample_rate_hz,
    ));
    let as_reps: Vec<RepSpan> = spans
        .iter()
        .map(|s| RepSpan {
            start: s.start,
            mid: (s.start + s.end) / 2,
            end: s.end,
            range: 0.0,
        })
        .collect();
    for s in &spans {
        ctx.phase(phases::HOLD, s.start, s.end);
    }
    let per_span: Vec<_> = as_reps
        .iter()
        .map(|r| form::rep_checks(r, &ctx.def.form_checks, &cache, &times))
        .collect();
    let (violations, score) = form::aggregate(&ctx.def.form_checks, &per_span);
    ctx.result.form_violations = violations;
    ctx.result.form_score = score.unwrap_or(if spans.is_empty() { 0.0 } else { 1.0 });
    ctx.result.rep_count = 0;
}

//! Skipping (jump rope): hops counted by the generic engine on the detrended
//! height of the feet, plus cadence and hop height.

use crate::analyze::{Context, generic_reps};
use crate::names::metrics;

pub fn analyze(ctx: &mut Context) {
    let spans = generic_reps(ctx);
    let mids: Vec<f64> = ctx.result.reps.iter().map(|r| r.mid_timestamp_ms).collect();
    let count = mids.len();
    ctx.metric(metrics::JUMP_COUNT, count as f64);
    if count >= 2 {
        let span_s = (mids[count - 1] - mids[0]) / 1000.0;
        if span_s > 0.0 {
            ctx.metric(metrics::CADENCE_PER_MIN, (count - 1) as f64 / span_s * 60.0);
        }
    }
    if count == 0 {
        return;
    }
    // Hop ranges are in body units (the definition follows a height signal), taken
    // from the spans rather than the reps: a rep's `range_of_motion` is rounded to
    // 0.01 body units, over a centimetre for a small athlete in the picture, a quarter
    // of a 4 cm hop.
    let mut ranges: Vec<f64> = spans.iter().map(|span| span.range).collect();
    ranges.sort_by(f64::total_cmp);
    let median = ranges[ranges.len() / 2];
    let unit = ctx.subject.body_unit_px();
    if let (Some(unit), Some(ppm)) = (unit, super::scale_or_assumed(ctx)) {
        ctx.metric(metrics::JUMP_HEIGHT_CM, median * unit / ppm * 100.0);
    }
}

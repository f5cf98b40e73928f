//! Timer mode: how long a posture is held.

use crate::definition::HoldRules;
use crate::form::SignalCache;

/// A held stretch, as inclusive frame indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldSpan {
    pub start: usize,
    pub end: usize,
}

/// Frames where every condition holds; a missing value fails the frame.
pub fn hold_mask(rules: &HoldRules, cache: &SignalCache, n: usize) -> Vec<bool> {
    (0..n)
        .map(|i| {
            rules.conditions.iter().all(|c| {
                cache
                    .get(&c.signal)
                    .and_then(|s| s[i])
                    .is_some_and(|v| c.min.is_none_or(|m| v >= m) && c.max.is_none_or(|m| v <= m))
            })
        })
        .collect()
}

/// Held stretches: breaks up to `max_gap_s` are bridged, stretches shorter than
/// `min_segment_s` dropped.
pub fn hold_spans(mask: &[bool], times_s: &[f64], rules: &HoldRules) -> Vec<HoldSpan> {
    let mut raw: Vec<HoldSpan> = Vec::new();
    let mut start = None;
    for (i, &m) in mask.iter().enumerate() {
        match (m, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                raw.push(HoldSpan {
                    start: s,
                    end: i - 1,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        raw.push(HoldSpan {
            start: s,
            end: mask.len() - 1,
        });
    }
    let mut merged: Vec<HoldSpan> = Vec::new();
    for span in raw {
        match merged.last_mut() {
            Some(last) if times_s[span.start] - times_s[last.end] <= rules.max_gap_s => {
                last.end = span.end
            }
            _ => merged.push(span),
        }
    }
    merged.retain(|s| times_s[s.end] - times_s[s.start] >= rules.min_segment_s);
    merged
}

/// Total held seconds; each frame counts for one frame period, so a hold over
/// frames a..=b at rate fs lasts (b - a + 1) / fs.
pub fn hold_seconds(spans: &[HoldSpan], times_s: &[f64], sample_rate_hz: f64) -> f64 {
    spans
        .iter()
        .map(|s| times_s[s.end] - times_s[s.start] + 1.0 / sample_rate_hz)
        .sum()
}

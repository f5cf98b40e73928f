// Builds one view model from the Guru video response (GET /videos/{id}?include=...)
// and, when the edge serves it, the full result (GET /v1/videos/{id}).
import { enumName, num, pick } from './fields.js';
import { anglesFromFrames, framesFromJ2p } from './joints.js';

/**
 * 'pending' | 'complete' | 'failed' | 'not_uploaded' from any of the status
 * spellings in use ('not_uploaded': created, but the file never arrived).
 */
export function analysisState(guru) {
  const values = [guru?.analysis?.status, guru?.status].map((s) => String(s ?? '').toLowerCase());
  if (values.some((s) => s === 'failed' || s === 'blocked')) return 'failed';
  if (values[0] === 'complete' || values[0] === 'success') return 'complete';
  if (values[1] === 'pending' && guru && !guru.uri) return 'not_uploaded';
  return 'pending';
}

function repsFromGuru(analysis) {
  const reps = Array.isArray(analysis?.reps) ? analysis.reps : [];
  return reps.map((r, i) => ({
    index: i + 1,
    startMs: num(r.startTimestampMs) ?? 0,
    midMs: num(r.midTimestampMs) ?? num(r.startTimestampMs) ?? 0,
    endMs: num(r.endTimestampMs) ?? 0,
    analyses: (r.analyses ?? []).map((a) => ({
      type: a.analysisType,
      value: num(a.analysisScalar ?? a.anaylsisScalar),
      opinion: a.analysisOpinion,
    })),
  }));
}

function repsFromResult(result) {
  return (pick(result, 'reps', []) ?? []).map((r, i) => ({
    index: num(pick(r, 'index')) ?? i + 1,
    startMs: num(pick(r, 'start_timestamp_ms')) ?? 0,
    midMs: num(pick(r, 'mid_timestamp_ms')) ?? 0,
    endMs: num(pick(r, 'end_timestamp_ms')) ?? 0,
    eccentricS: num(pick(r, 'eccentric_s')),
    concentricS: num(pick(r, 'concentric_s')),
    rangeOfMotion: num(pick(r, 'range_of_motion')),
    // Protobuf JSON leaves false out: absent means "not good" once any rep says true.
    goodForm: pick(r, 'good_form', undefined),
    analyses: (pick(r, 'analyses', []) ?? []).map((a) => ({
      type: pick(a, 'analysis_type'),
      value: num(pick(a, 'scalar')),
      opinion: enumName(pick(a, 'opinion'), 'OPINION_'),
    })),
  }));
}

function authenticityFrom(report) {
  if (!report) return null;
  const checks = pick(report, 'checks', []) ?? [];
  return {
    // Protobuf JSON leaves zero values out: a missing score is 0.
    score: num(pick(report, 'score')) ?? 0,
    risk: enumName(pick(report, 'risk_level'), 'RISK_LEVEL_') || 'unknown',
    blocked: Boolean(pick(report, 'blocked', false)),
    summary: pick(report, 'summary', ''),
    checks: checks.map((c) => ({
      check: pick(c, 'check', ''),
      score: num(pick(c, 'score')) ?? 0,
      flagged: Boolean(pick(c, 'flagged', false)),
      reason: pick(c, 'reason', ''),
    })),
  };
}

function seriesFromResult(result) {
  const raw = pick(result, 'series', {}) ?? {};
  const series = {};
  for (const [name, s] of Object.entries(raw)) {
    const values = (pick(s, 'values', []) ?? []).map((v) => num(v) ?? null);
    series[name] = { unit: pick(s, 'unit', ''), values };
  }
  const timesMs = (pick(result, 'series_timestamps_ms', []) ?? []).map((t) => num(t) ?? 0);
  return { timesMs, series };
}

/**
 * @param {object} guru  GET /videos/{id}?include=analysis,j2p response
 * @param {object|null} detail  GET /v1/videos/{id} response ({video, session}) or null
 */
export function buildViewModel(id, guru, detail) {
  const video = pick(detail, 'video', null);
  const result = pick(video, 'result', null);
  const info = pick(video, 'info', null);
  const j2p = guru?.j2p && guru.j2p.jointToPoints ? guru.j2p : null;
  const joints = j2p ? framesFromJ2p(j2p) : { width: 0, height: 0, frames: [] };

  const guruReps = guru?.analysis ? repsFromGuru(guru.analysis) : [];
  const resultReps = result ? repsFromResult(result) : [];
  const reps = guruReps.length || !resultReps.length ? guruReps : resultReps;
  // The full result's per-rep tempo and form go with the Guru reps they match.
  if (reps === guruReps && resultReps.length === guruReps.length) {
    guruReps.forEach((r, i) => {
      const m = resultReps[i];
      Object.assign(r, { eccentricS: m.eccentricS, concentricS: m.concentricS, rangeOfMotion: m.rangeOfMotion, goodForm: m.goodForm });
    });
  }
  const formKnown = resultReps.some((r) => r.goodForm !== undefined) || (pick(result, 'form_violations', []) ?? []).length > 0;
  for (const r of reps) r.goodForm = r.goodForm === undefined ? (formKnown ? false : undefined) : Boolean(r.goodForm);

  let timesMs = [];
  let series = {};
  let seriesSource = 'none';
  if (result) {
    ({ timesMs, series } = seriesFromResult(result));
    if (timesMs.length && Object.keys(series).length) seriesSource = 'server';
  }
  if (seriesSource === 'none' && joints.frames.length) {
    ({ timesMs, series } = anglesFromFrames(joints.frames));
    seriesSource = 'keypoints';
  }

  const metrics = {};
  for (const [k, v] of Object.entries(pick(result, 'metrics', {}) ?? {})) {
    const n = num(v);
    if (n !== undefined) metrics[k] = n;
  }

  const overlays = {};
  for (const [kind, o] of Object.entries(guru?.overlays ?? {})) {
    overlays[kind] = { status: String(o?.status ?? 'Pending'), uri: o?.uri ?? null };
  }

  const resultDurationS = num(pick(result, 'duration_s'));
  const durationMs =
    num(pick(info, 'duration_ms')) ?? (resultDurationS !== undefined ? resultDurationS * 1000 : 0);

  return {
    id,
    state: analysisState(guru),
    reason: guru?.reason ?? guru?.analysis?.reason ?? pick(video, 'failure_reason', '') ?? '',
    reasonDetail: guru?.reasonDetail ?? guru?.analysis?.reasonDetail ?? '',
    activity: guru?.analysis?.activity ?? guru?.activity ?? pick(video, 'exercise_id', '') ?? '',
    domain: guru?.analysis?.domain ?? guru?.domain ?? '',
    fps: num(guru?.fps) ?? num(pick(info, 'fps')),
    durationMs: durationMs || (timesMs.length ? timesMs[timesMs.length - 1] : 0),
    originalUri: guru?.uri ?? null,
    overlays,
    reps,
    repCount: reps.length || (num(pick(result, 'rep_count')) ?? 0),
    serverRepCount: num(pick(result, 'rep_count')),
    timesMs,
    series,
    seriesSource,
    metrics,
    formScore: num(pick(result, 'form_score')),
    poseAccuracy: num(pick(result, 'pose_accuracy')),
    mode: pick(result, 'mode', 'rep'),
    holdTimeS: num(pick(result, 'hold_time_s')),
    caloriesKcal: num(pick(result, 'calories_kcal')),
    formViolations: (pick(result, 'form_violations', []) ?? []).map((f) => ({
      key: pick(f, 'key', ''),
      label: pick(f, 'label', '') || pick(f, 'key', ''),
      count: num(pick(f, 'violation_count')) ?? 0,
      total: num(pick(f, 'total_checks')) ?? 0,
      rate: num(pick(f, 'violation_rate')) ?? 0,
    })),
    phases: (pick(result, 'phases', []) ?? []).map((p) => ({
      name: pick(p, 'name', ''),
      startMs: num(pick(p, 'start_timestamp_ms')) ?? 0,
      endMs: num(pick(p, 'end_timestamp_ms')) ?? 0,
    })),
    warnings: pick(result, 'warnings', []) ?? [],
    authenticity: authenticityFrom(pick(video, 'authenticity', null) ?? guru?.authenticity ?? null),
    // When the video was uploaded (the summary's date).
    createdAt: String(pick(video, 'created_at', '') || guru?.createdAt || guru?.created_at || ''),
    sessionId: pick(video, 'session_id', '') || pick(pick(detail, 'session', null), 'session_id', '') || id,
    joints,
  };
}

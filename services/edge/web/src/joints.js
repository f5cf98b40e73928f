// Joint data in the Guru j2p form -> per-frame pixel keypoints and joint angles.

/** Guru joint names in COCO-17 order (the order our tracks use). */
export const JOINTS = [
  'nose', 'leftEye', 'rightEye', 'leftEar', 'rightEar',
  'leftShoulder', 'rightShoulder', 'leftElbow', 'rightElbow',
  'leftWrist', 'rightWrist', 'leftHip', 'rightHip',
  'leftKnee', 'rightKnee', 'leftAnkle', 'rightAnkle',
];

/** Angles at the middle joint of each triple, in degrees (0..180). */
export const ANGLE_DEFINITIONS = {
  left_knee_angle: ['leftHip', 'leftKnee', 'leftAnkle'],
  right_knee_angle: ['rightHip', 'rightKnee', 'rightAnkle'],
  left_hip_angle: ['leftShoulder', 'leftHip', 'leftKnee'],
  right_hip_angle: ['rightShoulder', 'rightHip', 'rightKnee'],
  left_elbow_angle: ['leftShoulder', 'leftElbow', 'leftWrist'],
  right_elbow_angle: ['rightShoulder', 'rightElbow', 'rightWrist'],
  left_shoulder_angle: ['leftElbow', 'leftShoulder', 'leftHip'],
  right_shoulder_angle: ['rightElbow', 'rightShoulder', 'rightHip'],
};

/** Which joints matter for which activity (first = primary chart). */
const KEY_JOINTS = {
  push_up: ['elbow', 'hip'],
  bench_press: ['elbow', 'shoulder'],
  chin_up: ['elbow', 'shoulder'],
  sit_up: ['hip', 'knee'],
  jumping_jacks: ['shoulder', 'hip'],
  plank: ['hip', 'elbow'],
  burpee: ['hip', 'knee'],
  punch: ['elbow', 'shoulder'],
  front_kick: ['hip', 'knee'],
  downward_dog: ['hip', 'shoulder'],
  knee_to_chest: ['hip', 'knee'],
};

/** Joint families to chart for an activity; knee+hip for everything leg-driven. */
export function keyJointsFor(activity) {
  return KEY_JOINTS[activity] ?? ['knee', 'hip'];
}

/** Minimum keypoint score for a joint to be used in an angle. */
export const MIN_SCORE = 0.3;

/**
 * Turns a j2p object into frames: [{frame, t (s), points: {joint: {x, y, score}}}]
 * with x/y in pixels of the displayed video.
 */
export function framesFromJ2p(j2p) {
  const width = Number(j2p?.resolutionWidth) || 1;
  const height = Number(j2p?.resolutionHeight) || 1;
  const byFrame = new Map();
  const joints = j2p?.jointToPoints ?? {};
  for (const [joint, samples] of Object.entries(joints)) {
    if (!Array.isArray(samples)) continue;
    for (const s of samples) {
      const frame = Number(s.frame_idx);
      if (!Number.isFinite(frame)) continue;
      let entry = byFrame.get(frame);
      if (!entry) {
        entry = { frame, t: Number(s.timestamp) || 0, points: {} };
        byFrame.set(frame, entry);
      }
      entry.points[joint] = {
        x: Number(s.position?.x) * width,
        y: Number(s.position?.y) * height,
        score: Number(s.score) || 0,
      };
    }
  }
  return { width, height, frames: [...byFrame.values()].sort((a, b) => a.frame - b.frame) };
}

/** Angle ABC at B in degrees, or null when a point is missing or unreliable. */
export function angleAt(a, b, c) {
  if (!a || !b || !c) return null;
  if (a.score < MIN_SCORE || b.score < MIN_SCORE || c.score < MIN_SCORE) return null;
  const v1x = a.x - b.x;
  const v1y = a.y - b.y;
  const v2x = c.x - b.x;
  const v2y = c.y - b.y;
  const n1 = Math.hypot(v1x, v1y);
  const n2 = Math.hypot(v2x, v2y);
  if (n1 === 0 || n2 === 0) return null;
  const cos = Math.min(1, Math.max(-1, (v1x * v2x + v1y * v2y) / (n1 * n2)));
  return (Math.acos(cos) * 180) / Math.PI;
}

/**
 * Angle series from frames: {timesMs: [], series: {name: {unit: 'deg', values: [number|null]}}}.
 */
export function anglesFromFrames(frames) {
  const timesMs = frames.map((f) => f.t * 1000);
  const series = {};
  for (const [name, [a, b, c]] of Object.entries(ANGLE_DEFINITIONS)) {
    series[name] = {
      unit: 'deg',
      values: frames.map((f) => angleAt(f.points[a], f.points[b], f.points[c])),
    };
  }
  return { timesMs, series };
}

// The exercise menu. It is built from the server's catalog
// (GET /v1/catalog/exercises): every enabled catalog exercise is a Guru
// activity that POST /videos accepts, so the menu offers exactly what the
// upload flow can analyse. FALLBACK_CATALOG (the built-in catalog's ids and
// domains) is used only when the catalog cannot be read.

/** Menu groups by Guru domain, in display order. */
const DOMAIN_GROUPS = [
  ['calisthenics', 'Bodyweight'],
  ['weightlifting', 'Barbell lifts'],
  ['jumping', 'Jumps'],
  ['cardio', 'Cardio'],
  ['running', 'Running'],
  ['fitness_test', 'Fitness tests'],
  ['mobility', 'Mobility'],
  ['yoga', 'Yoga'],
  ['martial_arts', 'Martial arts'],
];

/** Names that tell near-duplicates apart (the catalog's own names otherwise). */
const LABELS = {
  squat: 'Barbell squat',
  bodyweight_squat: 'Bodyweight squat (no bar)',
  push_up: 'Push-up',
  sit_up: 'Sit-up',
  chin_up: 'Chin-up / pull-up',
};

/** One line of guidance shown under the menu for the chosen exercise. */
const GUIDANCE = {
  squat: 'A loaded barbell squat, analysed as a lift (depth, bar speed). For squats without a bar choose "Bodyweight squat".',
  bodyweight_squat: 'Squats without a bar (air squats). For a loaded barbell squat choose "Barbell squat".',
  clean: 'The clean alone (floor to front rack). If the bar then goes overhead choose "Clean and jerk".',
  clean_and_jerk: 'Clean then jerk overhead. For the clean alone choose "Clean".',
  snatch: 'Floor to overhead in one movement.',
  plank: 'A timed hold: the result is the hold time, not reps.',
  downward_dog: 'A timed hold: the result is the hold time, not reps.',
  sit_and_reach: 'A timed reach: the result is the reach and hold, not reps.',
  sprint: 'Each stride is counted as a rep.',
};

/** How to film, by exercise (a default for the rest). */
const FILMING = {
  push_up: 'Film side-on at floor height, the whole body in view.',
  sit_up: 'Film side-on at floor height.',
  squat: 'Film side-on at hip height, the bar and feet in view.',
  bodyweight_squat: 'Film side-on at hip height, head to feet in view.',
  bench_press: 'Film side-on at bench height.',
  deadlift: 'Film side-on, the bar and feet in view.',
  plank: 'Film side-on at floor height.',
  vertical_jump: 'Film side-on with the phone still; keep the floor in view.',
  broad_jump: 'Film side-on, take-off and landing in view.',
  sprint: 'Film side-on from a still phone.',
  jumping_jacks: 'Film from the front, arms and feet in view.',
};
const DEFAULT_FILMING = 'Keep the phone still and the whole body in view.';

/** The built-in catalog (libs/exercise-engine/catalog): id, name, domain, mode. */
export const FALLBACK_CATALOG = [
  ['push_up', 'Push-up', 'calisthenics', 'rep'],
  ['bodyweight_squat', 'Basic Squat', 'calisthenics', 'rep'],
  ['sit_up', 'Sit-up', 'calisthenics', 'rep'],
  ['chin_up', 'Chin-up', 'calisthenics', 'rep'],
  ['lunge', 'Lunge', 'calisthenics', 'rep'],
  ['burpee', 'Burpee', 'calisthenics', 'rep'],
  ['plank', 'Plank', 'calisthenics', 'timer'],
  ['squat', 'Squat', 'weightlifting', 'rep'],
  ['bench_press', 'Bench Press', 'weightlifting', 'rep'],
  ['deadlift', 'Deadlift', 'weightlifting', 'rep'],
  ['clean', 'Clean', 'weightlifting', 'rep'],
  ['clean_and_jerk', 'Clean and Jerk', 'weightlifting', 'rep'],
  ['snatch', 'Snatch', 'weightlifting', 'rep'],
  ['vertical_jump', 'Vertical Jump', 'jumping', 'rep'],
  ['broad_jump', 'Broad Jump', 'jumping', 'rep'],
  ['jumping_jacks', 'Jumping Jacks', 'cardio', 'rep'],
  ['skipping', 'Skipping', 'cardio', 'rep'],
  ['sprint', 'Sprint', 'running', 'rep'],
  ['sit_and_reach', 'Sit and Reach', 'fitness_test', 'timer'],
  ['knee_to_chest', 'Knee to Chest', 'mobility', 'rep'],
  ['downward_dog', 'Downward Dog', 'yoga', 'timer'],
  ['punch', 'Punch', 'martial_arts', 'rep'],
  ['front_kick', 'Front Kick', 'martial_arts', 'rep'],
].map(([id, name, domain, mode], i) => ({ id, name, domain, mode, enabled: true, sortOrder: i }));

function parseAlgorithm(json) {
  if (!json || typeof json !== 'string') return {};
  try {
    const parsed = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Catalog entries from GET /v1/catalog/exercises (protobuf JSON, camelCase or
 * snake_case): [{id, name, domain, mode, enabled, sortOrder}].
 */
export function catalogEntries(body) {
  const list = body?.exercises;
  if (!Array.isArray(list)) return [];
  return list.map((e) => {
    const algorithm = parseAlgorithm(e.algorithmJson ?? e.algorithm_json);
    return {
      id: String(e.exerciseId ?? e.exercise_id ?? algorithm.id ?? ''),
      name: String(e.name ?? algorithm.name ?? ''),
      domain: String(algorithm.domain ?? ''),
      mode: String(e.type ?? algorithm.mode ?? 'rep'),
      enabled: e.enabled !== false,
      sortOrder: Number(e.sortOrder ?? e.sort_order ?? 0),
      // Per-rep measurements: {TYPE: {at, good}} (the rep table's headers).
      analyses: Object.fromEntries(
        (Array.isArray(algorithm.analyses) ? algorithm.analyses : [])
          .filter((a) => a && typeof a.type === 'string')
          .map((a) => [a.type, { at: a.at ?? '', good: a.good ?? null }]),
      ),
    };
  });
}

/**
 * The upload menu: enabled exercises with a Guru domain (what POST /videos
 * accepts), grouped by domain: [{domain, label, items: [{id, label, mode}]}].
 */
export function menuFromCatalog(entries) {
  const usable = entries.filter((e) => e.enabled && e.id && e.domain);
  const groups = [];
  const known = new Set(DOMAIN_GROUPS.map(([d]) => d));
  const domains = [...DOMAIN_GROUPS, ...[...new Set(usable.map((e) => e.domain))].filter((d) => !known.has(d)).map((d) => [d, activityLabel(d)])];
  for (const [domain, label] of domains) {
    const items = usable
      .filter((e) => e.domain === domain)
      .sort((a, b) => a.sortOrder - b.sortOrder || a.id.localeCompare(b.id))
      .map((e) => ({ id: e.id, label: LABELS[e.id] ?? e.name ?? activityLabel(e.id), mode: e.mode }));
    if (items.length) groups.push({ domain, label, items });
  }
  return groups;
}

/** Domain of an activity in the menu ('' when not offered). */
export function domainIn(menu, activity) {
  return menu.find((g) => g.items.some((i) => i.id === activity))?.domain ?? '';
}

/** Guidance for the chosen exercise: what it is (near-duplicates) and how to film it. */
export function guidanceFor(activity) {
  if (!activity) return '';
  return [GUIDANCE[activity], FILMING[activity] ?? DEFAULT_FILMING].filter(Boolean).join(' ');
}

export function activityLabel(activity) {
  if (LABELS[activity]) return LABELS[activity];
  const s = String(activity || '').replace(/_/g, ' ');
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : 'Unknown';
}

/** Weightlifting-style activities: charts include bar velocity and power. */
export function isLift(activity) {
  return ['squat', 'bench_press', 'deadlift', 'clean_and_jerk', 'snatch', 'clean'].includes(activity);
}

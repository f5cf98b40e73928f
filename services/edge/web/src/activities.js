// Activities the page offers, grouped as Guru documents them, plus the
// trainer's jump and timed exercises. `domain` is sent to POST /videos.

export const ACTIVITY_GROUPS = [
  { domain: 'calisthenics', label: 'Calisthenics', items: ['push_up', 'bodyweight_squat', 'sit_up', 'chin_up', 'lunge', 'burpee'] },
  { domain: 'weightlifting', label: 'Weightlifting', items: ['squat', 'bench_press', 'deadlift', 'clean_and_jerk', 'snatch'] },
  { domain: '', label: 'Jumps and cardio', items: ['vertical_jump', 'broad_jump', 'jumping_jacks', 'skipping'] },
  { domain: 'running', label: 'Running', items: ['sprint'] },
  { domain: '', label: 'Holds and mobility', items: ['plank', 'sit_and_reach', 'knee_to_chest', 'downward_dog'] },
  { domain: 'martial_arts', label: 'Martial arts', items: ['punch', 'front_kick'] },
];

export function domainOf(activity) {
  const group = ACTIVITY_GROUPS.find((g) => g.items.includes(activity));
  if (!group) return '';
  if (group.domain) return group.domain;
  // Guru lists these two under mobility and yoga.
  if (activity === 'knee_to_chest') return 'mobility';
  if (activity === 'downward_dog') return 'yoga';
  return '';
}

export function activityLabel(activity) {
  const s = String(activity || '').replace(/_/g, ' ');
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : 'Unknown';
}

/** Weightlifting-style activities: charts include bar velocity and power. */
export function isLift(activity) {
  return ['squat', 'bench_press', 'deadlift', 'clean_and_jerk', 'snatch', 'clean'].includes(activity);
}

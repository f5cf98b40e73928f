//! Analysing a 60 s, 30 fps single-person track (budget: under 5 ms).
//!
//! Two figures: wall-clock time (criterion's default), and the CPU time of the
//! benchmarking thread, which stays meaningful on a machine shared with other
//! jobs (wall-clock time there includes the time the thread waits for a core).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, criterion_group, criterion_main};
use fitvision_exercise_engine::synthetic;
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, ExerciseDefinition, analyze};
use fitvision_proto::v1::{PoseTrack, Subject};

/// CPU time consumed by the calling thread.
struct ThreadCpuTime;

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant
    // every Linux kernel supports; on failure `ts` stays zero.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, started: Duration) -> Duration {
        thread_cpu_time().saturating_sub(started)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as for wall-clock time.
        static WALL_TIME: WallTime = WallTime;
        WALL_TIME.formatter()
    }
}

/// 60 s of squats at one rep per 3 s, 30 fps, and the squat definition.
fn squat_minute(catalog: &Catalog) -> (&ExerciseDefinition, PoseTrack, Subject) {
    let def = catalog.get("squat").expect("squat");
    let (track, subject) = synthetic::squat_minute();
    let result = analyze(def, &track, &subject, &AnalyzeOptions::default()).expect("analysis");
    assert_eq!(result.rep_count, 20);
    (def, track, subject)
}

fn squats<M: Measurement + 'static>(c: &mut Criterion<M>, name: &str) {
    let catalog = Catalog::builtin().expect("catalog");
    let (def, track, subject) = squat_minute(&catalog);
    let options = AnalyzeOptions::default();
    c.bench_function(name, |b| {
        b.iter(|| analyze(black_box(def), black_box(&track), &subject, &options))
    });
}

fn wall_clock(c: &mut Criterion) {
    squats(c, "analyze squat 60s@30fps");
}

fn cpu_time(c: &mut Criterion<ThreadCpuTime>) {
    squats(c, "analyze squat 60s@30fps (thread CPU time)");
}

criterion_group!(benches, wall_clock);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = cpu_time
}
criterion_main!(benches, cpu_benches);

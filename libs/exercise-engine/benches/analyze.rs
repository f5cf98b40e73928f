//! Analysing a 60 s, 30 fps single-person track (budget: under 5 ms).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fitvision_exercise_engine::synthetic::{self, BodyPose};
use fitvision_exercise_engine::{AnalyzeOptions, Catalog, analyze};
use fitvision_proto::v1::Subject;

fn squats(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("catalog");
    let def = catalog.get("squat").expect("squat");
    // 60 s of squats at one rep per 3 s, 30 fps.
    let track = synthetic::track(30.0, 1800, |t| {
        Some(BodyPose {
            knee_deg: 125.0 + 55.0 * (t / 3.0 * std::f64::consts::TAU).cos(),
            ..Default::default()
        })
    });
    let subject = Subject {
        height_m: 1.75,
        body_mass_kg: 70.0,
        ..Default::default()
    };
    let options = AnalyzeOptions::default();
    let result = analyze(def, &track, &subject, &options).expect("analysis");
    assert_eq!(result.rep_count, 20);
    c.bench_function("analyze squat 60s@30fps", |b| {
        b.iter(|| analyze(black_box(def), black_box(&track), &subject, &options))
    });
}

criterion_group!(benches, squats);
criterion_main!(benches);

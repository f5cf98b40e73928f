//! Per tracked person of stored pose tracks: frames present, median box height relative
//! to the main subject's in the same frames, and activity (the people check's measures):
//!
//!   cargo run -p fitvision-cheat-detection --example people_stats -- TRACK.posetrack.pb ...

use fitvision_cheat_detection::checks::people::activity_by_track;
use fitvision_cheat_detection::track;
use fitvision_proto::v1::PoseTrack;
use prost::Message as _;
use std::collections::BTreeMap;

fn main() -> anyhow::Result<()> {
    for path in std::env::args().skip(1) {
        let track = PoseTrack::decode(std::fs::read(&path)?.as_slice())?;
        let main = track::main_track_id(&track);
        let activity = activity_by_track(&track);
        let mut rel: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        for f in &track.frames {
            let main_h = f
                .persons
                .iter()
                .find(|p| Some(p.track_id) == main)
                .and_then(|p| p.r#box.map(|b| f64::from(b.height_px)));
            for p in &f.persons {
                *seen.entry(p.track_id).or_default() += 1;
                if let (Some(m), Some(b)) = (main_h, p.r#box) {
                    rel.entry(p.track_id)
                        .or_default()
                        .push(f64::from(b.height_px) / m);
                }
            }
        }
        let name = path
            .rsplit('/')
            .next()
            .unwrap_or(&path)
            .split('.')
            .next()
            .unwrap_or("");
        println!("{name} ({} frames, main {main:?})", track.frames.len());
        for (id, n) in seen {
            if n * 20 < track.frames.len() {
                continue;
            }
            println!(
                "   id {id:>3}: in {n:>4} frames, height {:.2} of main, activity {:.3}",
                track::median(rel.get(&id).map_or(&[][..], |v| v)).unwrap_or(f64::NAN),
                activity.get(&id).copied().unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}

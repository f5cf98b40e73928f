//! A pose track that is still being computed: the pose stage appends frames while the
//! frame pass reads the part it needs. Checking while the poses arrive overlaps the
//! check's decoding with the pose stage's instead of running the two passes in turn.
//!
//! A reader asks for the track up to a time and waits until the track reaches past it
//! (or is complete): what it reads then is what it would read on the finished track,
//! because frames arrive in decode order and nothing before that time can change.

use std::sync::{Condvar, Mutex, MutexGuard};

use fitvision_proto::v1::{PoseFrame, PoseTrack, PoseTrackEnd};

use crate::error::CheckError;

#[derive(Default)]
struct State {
    track: PoseTrack,
    complete: bool,
    abandoned: bool,
}

/// A pose track filled by one writer (the stream of the pose stage) and read by the
/// frame pass on another thread.
#[derive(Default)]
pub struct GrowingTrack {
    state: Mutex<State>,
    grown: Condvar,
}

impl GrowingTrack {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A reader that panicked holding the lock leaves a consistent track behind.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends the next frames (decode order).
    pub fn push(&self, frames: Vec<PoseFrame>) {
        self.lock().track.frames.extend(frames);
        self.grown.notify_all();
    }

    /// The track is complete: no frame follows.
    pub fn finish(&self, end: PoseTrackEnd) {
        let mut state = self.lock();
        state.track.schema = end.schema;
        state.track.video = end.video;
        state.track.model_id = end.model_id;
        state.complete = true;
        drop(state);
        self.grown.notify_all();
    }

    /// The writer went away before the end: readers stop waiting with an error.
    pub fn abandon(&self) {
        self.lock().abandoned = true;
        self.grown.notify_all();
    }

    /// Runs `read` on the track once it holds every frame up to `until_ms` (a frame
    /// after that time has arrived, or the track is complete).
    pub fn read_until<R>(
        &self,
        until_ms: f64,
        read: impl FnOnce(&PoseTrack) -> R,
    ) -> Result<R, CheckError> {
        let state = self
            .grown
            .wait_while(self.lock(), |state| {
                !state.complete
                    && !state.abandoned
                    && state
                        .track
                        .frames
                        .last()
                        .is_none_or(|last| last.timestamp_ms <= until_ms)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.abandoned && !state.complete {
            return Err(CheckError::TrackAbandoned);
        }
        Ok(read(&state.track))
    }

    /// The finished track, once complete.
    pub fn complete(&self) -> Result<PoseTrack, CheckError> {
        self.read_until(f64::INFINITY, PoseTrack::clone)
    }
}

/// Where the frame pass reads people from.
#[derive(Clone, Copy)]
pub enum TrackFeed<'a> {
    /// No pose track: the frame checks run without knowing where people are.
    None,
    /// The finished track.
    Whole(&'a PoseTrack),
    /// A track still arriving.
    Growing(&'a GrowingTrack),
}

impl TrackFeed<'_> {
    /// Runs `read` on the track once it is known up to `until_ms`; `None` without a track.
    pub fn read_until<R>(
        &self,
        until_ms: f64,
        read: impl FnOnce(&PoseTrack) -> R,
    ) -> Result<Option<R>, CheckError> {
        match self {
            TrackFeed::None => Ok(None),
            TrackFeed::Whole(track) => Ok(Some(read(track))),
            TrackFeed::Growing(growing) => growing.read_until(until_ms, read).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn frame(index: u32) -> PoseFrame {
        PoseFrame {
            frame_index: index,
            timestamp_ms: f64::from(index) * 100.0,
            ..Default::default()
        }
    }

    #[test]
    fn a_reader_waits_until_the_track_passes_its_time() {
        let track = Arc::new(GrowingTrack::new());
        let writer = {
            let track = track.clone();
            std::thread::spawn(move || {
                for index in 0..10 {
                    std::thread::sleep(Duration::from_millis(5));
                    track.push(vec![frame(index)]);
                }
                track.finish(PoseTrackEnd::default());
            })
        };
        // Up to 450 ms: frame 5 (500 ms) must have arrived, so frames 0-4 are all there.
        let seen = track
            .read_until(450.0, |t| {
                t.frames.iter().filter(|f| f.timestamp_ms <= 450.0).count()
            })
            .unwrap();
        assert_eq!(seen, 5);
        assert_eq!(track.complete().unwrap().frames.len(), 10);
        writer.join().unwrap();
    }

    #[test]
    fn an_abandoned_track_ends_the_wait_with_an_error() {
        let track = Arc::new(GrowingTrack::new());
        track.push(vec![frame(0)]);
        let writer = {
            let track = track.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                track.abandon();
            })
        };
        assert!(matches!(
            track.read_until(1000.0, |_| ()),
            Err(CheckError::TrackAbandoned)
        ));
        writer.join().unwrap();
    }
}

//! A video's analysed pose track, read from the session service's stream once per
//! request and shared by every view built from it (Guru's j2p and objects, the
//! Weightlifting API's export).

use fitvision_proto::v1::stream_pose_track_response::Item;
use fitvision_proto::v1::{
    PersonPose, PoseFrame, PoseTrackHeader, StreamPoseTrackRequest, Video, VideoInfo,
};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Family, GrpcResultExt};
use crate::state::AppState;

/// Every frame of a pose track and the video facts sent with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoseTrack {
    /// The model and keypoint order (empty from a session that does not send them: the
    /// schema is then read off the keypoint count).
    pub header: PoseTrackHeader,
    pub info: VideoInfo,
    pub frames: Vec<PoseFrame>,
}

impl PoseTrack {
    /// The keypoint order of the frames.
    pub fn schema(&self) -> fitvision_kinematics::schema::KeypointSchema {
        fitvision_exercise_engine::subject::schema_from(self.header.schema, &self.frames)
    }

    /// The stream's video facts, else the video's own (tracks stored before the
    /// stream carried them have an empty info).
    pub fn info_or(&self, video: &Video) -> VideoInfo {
        if self.info.width_px > 0 {
            self.info.clone()
        } else {
            video.info.clone().unwrap_or_default()
        }
    }
}

/// Drains `StreamPoseTrack` for `video_id`.
pub(crate) async fn read_pose_track(
    state: &AppState,
    caller: &Caller,
    family: Family,
    video_id: &str,
) -> ApiResult<PoseTrack> {
    let mut stream = state
        .session()
        .stream_pose_track(caller.request(StreamPoseTrackRequest {
            video_id: video_id.to_owned(),
        }))
        .await
        .api(family)?;
    let mut track = PoseTrack::default();
    while let Some(item) = stream
        .message()
        .await
        .map_err(|s| ApiError::from_status(family, &s))?
    {
        match item.item {
            Some(Item::Header(header)) => track.header = header,
            Some(Item::Info(info)) => track.info = info,
            Some(Item::Frame(frame)) => track.frames.push(frame),
            None => {}
        }
    }
    Ok(track)
}

/// The analysed person in a frame: the analysis's subject track, or the first
/// person when the analysis named none.
pub(crate) fn subject(frame: &PoseFrame, track_id: Option<u32>) -> Option<&PersonPose> {
    match track_id {
        Some(id) => frame.persons.iter().find(|p| p.track_id == id),
        None => frame.persons.first(),
    }
}

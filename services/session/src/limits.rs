//! Each tenant's analysis limits (`AnalysisLimits`): how long a video may be and how
//! many of the tenant's videos may wait for or run through the pipeline at once.
//!
//! Pose extraction costs CPU in proportion to the frames decoded, so a small file
//! that claims an hour of video is a lot of work for one upload. The limits are
//! checked where they are cheapest: the count of analyses in flight before a byte
//! is stored, the length from the container header and a first decode before the
//! video is recorded, and the frames actually decoded while the pipeline runs
//! (headers can lie). Stored as an admin set them (zero = the deployment's limit).

use fitvision_proto::v1 as pb;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::db::entity::{tenant_analysis_limits, video};
use crate::db::now_ms;
use crate::error::SessionError;

/// The tenant's limits as set, or `None` when it never set any.
pub async fn stored<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
) -> Result<Option<pb::AnalysisLimits>, DbErr> {
    Ok(
        tenant_analysis_limits::Entity::find_by_id(tenant_id.to_owned())
            .one(db)
            .await?
            .map(|row| pb::AnalysisLimits {
                max_video_seconds: clamp_u32(row.max_video_seconds),
                max_video_frames: clamp_u32(row.max_video_frames),
                max_concurrent_analyses: clamp_u32(row.max_concurrent_analyses),
            }),
    )
}

fn clamp_u32(value: i64) -> u32 {
    value.clamp(0, i64::from(u32::MAX)) as u32
}

/// `set`'s fields, the deployment's where `set` has zero (or is absent).
pub fn effective(
    set: Option<&pb::AnalysisLimits>,
    deployment: &pb::AnalysisLimits,
) -> pb::AnalysisLimits {
    let pick = |own: u32, default: u32| if own > 0 { own } else { default };
    let set = set.cloned().unwrap_or_default();
    pb::AnalysisLimits {
        max_video_seconds: pick(set.max_video_seconds, deployment.max_video_seconds),
        max_video_frames: pick(set.max_video_frames, deployment.max_video_frames),
        max_concurrent_analyses: pick(
            set.max_concurrent_analyses,
            deployment.max_concurrent_analyses,
        ),
    }
}

/// The limits in force for the tenant, every field filled in.
pub async fn in_force<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    deployment: &pb::AnalysisLimits,
) -> Result<pb::AnalysisLimits, DbErr> {
    Ok(effective(stored(db, tenant_id).await?.as_ref(), deployment))
}

/// The fields of `requested` above the deployment's limits, named, e.g.
/// `["max_video_seconds 7200 > 600"]`: what only a platform admin may set.
pub fn above_deployment(
    requested: &pb::AnalysisLimits,
    deployment: &pb::AnalysisLimits,
) -> Vec<String> {
    [
        (
            "max_video_seconds",
            requested.max_video_seconds,
            deployment.max_video_seconds,
        ),
        (
            "max_video_frames",
            requested.max_video_frames,
            deployment.max_video_frames,
        ),
        (
            "max_concurrent_analyses",
            requested.max_concurrent_analyses,
            deployment.max_concurrent_analyses,
        ),
    ]
    .into_iter()
    .filter(|(_, asked, allowed)| asked > allowed)
    .map(|(name, asked, allowed)| format!("{name} {asked} > {allowed}"))
    .collect()
}

/// Stores (inserts or replaces) the tenant's limits; the caller checked who may.
pub async fn store<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    limits: &pb::AnalysisLimits,
) -> Result<(), DbErr> {
    let row = tenant_analysis_limits::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        max_video_seconds: Set(i64::from(limits.max_video_seconds)),
        max_video_frames: Set(i64::from(limits.max_video_frames)),
        max_concurrent_analyses: Set(i64::from(limits.max_concurrent_analyses)),
        updated_at: Set(now_ms()),
    };
    tenant_analysis_limits::Entity::insert(row)
        .on_conflict(
            OnConflict::column(tenant_analysis_limits::Column::TenantId)
                .update_columns([
                    tenant_analysis_limits::Column::MaxVideoSeconds,
                    tenant_analysis_limits::Column::MaxVideoFrames,
                    tenant_analysis_limits::Column::MaxConcurrentAnalyses,
                    tenant_analysis_limits::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Refuses another analysis while `limits.max_concurrent_analyses` of the tenant's
/// videos are queued or processing.
pub async fn check_capacity<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    limits: &pb::AnalysisLimits,
) -> Result<(), SessionError> {
    let in_flight = video::Entity::find()
        .filter(video::Column::TenantId.eq(tenant_id))
        .filter(video::Column::Status.is_in([
            pb::VideoStatus::Queued as i32,
            pb::VideoStatus::Processing as i32,
        ]))
        .count(db)
        .await?;
    if in_flight >= u64::from(limits.max_concurrent_analyses) {
        return Err(SessionError::TooManyAnalyses(format!(
            "{in_flight} videos of this tenant are already queued or being analysed \
             (limit {}); upload again when one has finished",
            limits.max_concurrent_analyses
        )));
    }
    Ok(())
}

/// The length of a video as far as it is known: seconds and frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoLength {
    pub seconds: f64,
    pub frames: u64,
}

impl VideoLength {
    /// From a probe or the pose stream's first message: the larger of what the
    /// decoder counted and what the header claims, in frames and in seconds.
    pub fn of(info: &pb::VideoInfo) -> Self {
        let seconds = (info.duration_ms / 1000.0).max(0.0);
        let from_rate = if info.fps.is_finite() && info.fps > 0.0 {
            (seconds * info.fps).round() as u64
        } else {
            0
        };
        Self {
            seconds: if seconds.is_finite() { seconds } else { 0.0 },
            frames: u64::from(info.frame_count.max(info.header_frame_count)).max(from_rate),
        }
    }
}

/// `VIDEO_TOO_LONG` when the video is longer than the limits allow.
pub fn check_length(length: VideoLength, limits: &pb::AnalysisLimits) -> Result<(), SessionError> {
    let max_seconds = f64::from(limits.max_video_seconds);
    if length.seconds > max_seconds {
        return Err(SessionError::VideoTooLong(format!(
            "the video lasts {:.1} s; this tenant's videos may last at most {} s",
            length.seconds, limits.max_video_seconds
        )));
    }
    if length.frames > u64::from(limits.max_video_frames) {
        return Err(SessionError::VideoTooLong(format!(
            "the video has {} frames; this tenant's videos may have at most {}",
            length.frames, limits.max_video_frames
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> pb::AnalysisLimits {
        pb::AnalysisLimits {
            max_video_seconds: 600,
            max_video_frames: 36_000,
            max_concurrent_analyses: 16,
        }
    }

    #[test]
    fn zero_fields_take_the_deployment_limits() {
        assert_eq!(effective(None, &deployment()), deployment());
        let own = pb::AnalysisLimits {
            max_video_seconds: 120,
            ..Default::default()
        };
        assert_eq!(
            effective(Some(&own), &deployment()),
            pb::AnalysisLimits {
                max_video_seconds: 120,
                ..deployment()
            }
        );
    }

    #[test]
    fn raising_a_limit_above_the_deployment_is_named() {
        let asked = pb::AnalysisLimits {
            max_video_seconds: 7200,
            max_video_frames: 100,
            max_concurrent_analyses: 16,
        };
        assert_eq!(
            above_deployment(&asked, &deployment()),
            vec!["max_video_seconds 7200 > 600".to_owned()]
        );
        assert!(above_deployment(&pb::AnalysisLimits::default(), &deployment()).is_empty());
    }

    #[test]
    fn length_is_the_longest_reading_of_the_video() {
        let hour_claimed = pb::VideoInfo {
            fps: 30.0,
            frame_count: 0,
            header_frame_count: 108_000,
            duration_ms: 3_600_000.0,
            ..Default::default()
        };
        let length = VideoLength::of(&hour_claimed);
        assert_eq!(length.frames, 108_000);
        let error = check_length(length, &deployment()).unwrap_err();
        assert!(error.to_string().contains("3600.0 s"), "{error}");
        // A header without a frame count: frames from duration x rate.
        let webm = pb::VideoInfo {
            fps: 60.0,
            duration_ms: 20_000.0,
            ..Default::default()
        };
        assert_eq!(VideoLength::of(&webm).frames, 1200);
        // A short clip at a high rate: within the seconds, over the frames.
        let tight = pb::AnalysisLimits {
            max_video_frames: 1000,
            ..deployment()
        };
        let error = check_length(VideoLength::of(&webm), &tight).unwrap_err();
        assert!(error.to_string().contains("1200 frames"), "{error}");
        assert!(check_length(VideoLength::of(&webm), &deployment()).is_ok());
    }
}

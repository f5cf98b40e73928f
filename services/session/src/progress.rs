//! Live progress of video pipelines: one broadcast channel for the process;
//! watchers filter by video id and fall back to the database when they lag
//! or when another replica runs the job.

use fitvision_proto::v1 as pb;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct ProgressHub {
    sender: broadcast::Sender<pb::WatchVideoResponse>,
}

impl Default for ProgressHub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self { sender }
    }
}

impl ProgressHub {
    pub fn publish(&self, event: pb::WatchVideoResponse) {
        // No receivers is fine: nobody is watching.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<pb::WatchVideoResponse> {
        self.sender.subscribe()
    }
}

pub fn is_terminal_stage(stage: i32) -> bool {
    stage == pb::ProgressStage::Completed as i32 || stage == pb::ProgressStage::Failed as i32
}

//! Durable jobs: the queue table and the worker pool that drains it.

pub mod queue;
pub mod worker;

pub use queue::{Backoff, JobQueue, NewJob, Retry};
pub use worker::{JobFailure, JobHandler, WorkerSettings, spawn_workers};

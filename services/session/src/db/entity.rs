//! sea-orm entities: one module per table. Timestamps are epoch milliseconds
//! (portable between SQLite and PostgreSQL, comparable in raw SQL); JSON
//! columns are text; protobuf payloads are binary.

/// Clients of the platform and their enabled modules.
pub mod tenant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        /// JSON array of module names.
        pub enabled_modules: String,
        pub created_at: i64,
        /// Pose model of the tenant's videos; empty = the deployment's default.
        pub pose_model_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A tenant's authenticity policy (`BlockingPolicy`), as an admin set it: zero
/// fields mean the default. No row: every default.
pub mod tenant_blocking_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_blocking_policies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        pub block_score: f64,
        /// `RiskLevel` number.
        pub block_risk: i32,
        /// `BlockingMode` number.
        pub mode: i32,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A tenant's analysis limits (`AnalysisLimits`), as an admin set them: zero
/// columns take the deployment's limits. No row: every deployment limit.
pub mod tenant_analysis_limits {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_analysis_limits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        pub max_video_seconds: i64,
        pub max_video_frames: i64,
        pub max_concurrent_analyses: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Users of a tenant with their profile (the Weightlifting API's
/// user_information).
pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// "user", "sub-admin" or "admin".
        pub role: String,
        pub display_name: String,
        pub age_years: i32,
        pub weight_kg: f64,
        pub height_cm: f64,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// API keys: only a sha256 of the secret is stored.
pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub user_id: String,
        pub role: String,
        /// JSON array of scopes.
        pub scopes: String,
        #[sea_orm(unique)]
        pub key_hash: String,
        pub created_at: i64,
        pub revoked_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Exercises: the library (owned by the library tenant) and tenant customs.
pub mod exercise {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "exercises")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub is_library: bool,
        pub name: String,
        pub name_zh: String,
        pub description: String,
        pub category: String,
        pub difficulty: String,
        pub image_url: String,
        /// "rep" or "timer".
        pub mode: String,
        pub target_value: i32,
        pub estimated_calories: f64,
        /// Definition / algorithm data as JSON.
        pub definition_json: String,
        /// JSON array of alternative ids ("pushup" for "push_up").
        pub aliases: String,
        pub domain: String,
        pub enabled: bool,
        pub sort_order: i32,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Library exercises a tenant has selected, with its own order.
pub mod library_selection {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "library_selections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub exercise_id: String,
        pub sort_order: i32,
        pub enabled: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Sessions of every family (workout, lifting, jumping, running, AI Move, Guru).
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// UUIDv7: sorts by creation time, so it doubles as the page cursor.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub user_id: String,
        /// `SessionKind` number.
        pub kind: i32,
        pub title: String,
        pub exercise_id: String,
        /// A `SessionStatus` as `fitvision_proto::statuses::SESSION` spells it.
        pub status: String,
        /// `Subject` as JSON.
        pub subject: String,
        /// `ClientResults` as protobuf bytes.
        pub client_results: Vec<u8>,
        /// JSON object of string attributes.
        pub attributes: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub completed_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Videos of a session and their pipeline state.
pub mod video {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "videos")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub session_id: String,
        pub tenant_id: String,
        pub exercise_id: String,
        /// `VideoStatus` number.
        pub status: i32,
        /// `ProgressStage` number.
        pub stage: i32,
        pub progress_percent: f64,
        /// `FailureCode` number.
        pub failure_code: i32,
        pub failure_reason: String,
        pub filename: String,
        pub declared_size_bytes: i64,
        pub expected_rep_count: i32,
        pub object_key: Option<String>,
        pub size_bytes: i64,
        pub sha256_hex: String,
        pub content_type: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub completed_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Derived files of a video (pose track, annotated videos, snapshots).
pub mod artefact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "artefacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub video_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub object_key: String,
        pub size_bytes: i64,
        pub sha256_hex: String,
        pub content_type: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Results of pipeline steps, keyed by (video, step): a step that finished is
/// never redone and never stored twice.
pub mod step_result {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "step_results")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub video_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub step: String,
        /// Protobuf bytes of the step's output message.
        pub payload: Vec<u8>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The durable job queue.
pub mod job {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub kind: String,
        /// JSON payload.
        pub payload: String,
        /// At most one live job per key (e.g. "pipeline:<video>").
        #[sea_orm(unique)]
        pub dedupe_key: String,
        /// "queued", "running", "succeeded" or "dead".
        pub state: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_after: i64,
        pub lease_owner: Option<String>,
        pub lease_expires_at: Option<i64>,
        pub last_error: Option<String>,
        pub dead_reason: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub finished_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Generated coaching comments, polled by id.
pub mod thread {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "threads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub session_id: String,
        pub tenant_id: String,
        pub topic: String,
        /// A `ThreadStatus` as `fitvision_proto::statuses::THREAD` spells it.
        pub status: String,
        pub text: String,
        pub provider: String,
        pub error: String,
        pub measurement_system: i32,
        pub language: String,
        pub created_at: i64,
        pub completed_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Aggregates per user and exercise, updated when an AI Move session completes.
pub mod user_stat {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_exercise_stats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub exercise_id: String,
        pub sessions_completed: i32,
        pub total_reps: i64,
        pub total_duration_s: f64,
        pub total_calories_kcal: f64,
        pub best_form_score: f64,
        pub last_completed_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Process-wide settings kept in the database (the token signing secret).
pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A revocable read-only link to one session's result (only the token's sha256 is
/// stored; the token is shown once, at creation).
pub mod share_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "share_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub session_id: String,
        /// The user who created it.
        pub created_by: String,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: i64,
        pub expires_at: i64,
        pub revoked_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

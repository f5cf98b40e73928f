//! Schema migrations, identical for SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(InitialSchema),
            Box::new(TenantBlockingPolicies),
            Box::new(TenantPoseModels),
            Box::new(TenantAnalysisLimits),
            Box::new(ShareLinks),
        ]
    }
}

struct InitialSchema;

impl MigrationName for InitialSchema {
    fn name(&self) -> &str {
        "m0001_initial_schema"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn text(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.text().not_null();
    column
}

fn text_null(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.text().null();
    column
}

fn string(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.string_len(255).not_null();
    column
}

fn int(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.integer().not_null();
    column
}

fn millis(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.big_integer().not_null();
    column
}

fn millis_null(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.big_integer().null();
    column
}

fn double(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.double().not_null();
    column
}

fn boolean(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.boolean().not_null();
    column
}

fn binary(name: &str) -> ColumnDef {
    let mut column = col(name);
    column.blob().not_null();
    column
}

fn table(name: &str, columns: Vec<ColumnDef>, primary_key: &[&str]) -> TableCreateStatement {
    let mut statement = Table::create();
    statement.table(Alias::new(name)).if_not_exists();
    for mut column in columns {
        statement.col(&mut column);
    }
    let mut key = Index::create();
    for part in primary_key {
        key.col(Alias::new(*part));
    }
    statement.primary_key(&mut key);
    statement
}

fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(name)
        .table(Alias::new(table))
        .if_not_exists();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    statement
}

const TABLES: [&str; 13] = [
    "tenants",
    "users",
    "api_keys",
    "exercises",
    "library_selections",
    "sessions",
    "videos",
    "artefacts",
    "step_results",
    "jobs",
    "threads",
    "user_exercise_stats",
    "settings",
];

#[async_trait::async_trait]
impl MigrationTrait for InitialSchema {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "tenants",
                vec![
                    string("id"),
                    text("name"),
                    text("enabled_modules"),
                    millis("created_at"),
                ],
                &["id"],
            ),
            table(
                "users",
                vec![
                    string("tenant_id"),
                    string("id"),
                    string("role"),
                    text("display_name"),
                    int("age_years"),
                    double("weight_kg"),
                    double("height_cm"),
                    millis("created_at"),
                    millis("updated_at"),
                ],
                &["tenant_id", "id"],
            ),
            table(
                "api_keys",
                vec![
                    string("id"),
                    string("tenant_id"),
                    string("user_id"),
                    string("role"),
                    text("scopes"),
                    string("key_hash"),
                    millis("created_at"),
                    millis_null("revoked_at"),
                ],
                &["id"],
            ),
            table(
                "exercises",
                vec![
                    string("tenant_id"),
                    string("id"),
                    boolean("is_library"),
                    text("name"),
                    text("name_zh"),
                    text("description"),
                    text("category"),
                    text("difficulty"),
                    text("image_url"),
                    string("mode"),
                    int("target_value"),
                    double("estimated_calories"),
                    text("definition_json"),
                    text("aliases"),
                    text("domain"),
                    boolean("enabled"),
                    int("sort_order"),
                    millis("created_at"),
                    millis("updated_at"),
                ],
                &["tenant_id", "id"],
            ),
            table(
                "library_selections",
                vec![
                    string("tenant_id"),
                    string("exercise_id"),
                    int("sort_order"),
                    boolean("enabled"),
                ],
                &["tenant_id", "exercise_id"],
            ),
            table(
                "sessions",
                vec![
                    string("id"),
                    string("tenant_id"),
                    string("user_id"),
                    int("kind"),
                    text("title"),
                    string("exercise_id"),
                    string("status"),
                    text("subject"),
                    binary("client_results"),
                    text("attributes"),
                    millis("created_at"),
                    millis("updated_at"),
                    millis_null("completed_at"),
                ],
                &["id"],
            ),
            table(
                "videos",
                vec![
                    string("id"),
                    string("session_id"),
                    string("tenant_id"),
                    string("exercise_id"),
                    int("status"),
                    int("stage"),
                    double("progress_percent"),
                    int("failure_code"),
                    text("failure_reason"),
                    text("filename"),
                    millis("declared_size_bytes"),
                    int("expected_rep_count"),
                    text_null("object_key"),
                    millis("size_bytes"),
                    string("sha256_hex"),
                    string("content_type"),
                    millis("created_at"),
                    millis("updated_at"),
                    millis_null("completed_at"),
                ],
                &["id"],
            ),
            table(
                "artefacts",
                vec![
                    string("video_id"),
                    string("name"),
                    text("object_key"),
                    millis("size_bytes"),
                    string("sha256_hex"),
                    string("content_type"),
                    millis("created_at"),
                ],
                &["video_id", "name"],
            ),
            table(
                "step_results",
                vec![
                    string("video_id"),
                    string("step"),
                    binary("payload"),
                    millis("created_at"),
                ],
                &["video_id", "step"],
            ),
            table(
                "jobs",
                vec![
                    string("id"),
                    string("kind"),
                    text("payload"),
                    string("dedupe_key"),
                    string("state"),
                    int("attempts"),
                    int("max_attempts"),
                    millis("run_after"),
                    text_null("lease_owner"),
                    millis_null("lease_expires_at"),
                    text_null("last_error"),
                    text_null("dead_reason"),
                    millis("created_at"),
                    millis("updated_at"),
                    millis_null("finished_at"),
                ],
                &["id"],
            ),
            table(
                "threads",
                vec![
                    string("id"),
                    string("session_id"),
                    string("tenant_id"),
                    string("topic"),
                    string("status"),
                    text("text"),
                    text("provider"),
                    text("error"),
                    int("measurement_system"),
                    string("language"),
                    millis("created_at"),
                    millis_null("completed_at"),
                ],
                &["id"],
            ),
            table(
                "user_exercise_stats",
                vec![
                    string("tenant_id"),
                    string("user_id"),
                    string("exercise_id"),
                    int("sessions_completed"),
                    millis("total_reps"),
                    double("total_duration_s"),
                    double("total_calories_kcal"),
                    double("best_form_score"),
                    millis("last_completed_at"),
                ],
                &["tenant_id", "user_id", "exercise_id"],
            ),
            table("settings", vec![string("key"), text("value")], &["key"]),
        ];
        for statement in tables {
            manager.create_table(statement).await?;
        }
        let indexes = [
            index("ux_api_keys_hash", "api_keys", &["key_hash"], true),
            index("ux_jobs_dedupe", "jobs", &["dedupe_key"], true),
            index("ix_jobs_claim", "jobs", &["state", "run_after"], false),
            index(
                "ix_sessions_owner",
                "sessions",
                &["tenant_id", "user_id", "id"],
                false,
            ),
            index("ix_videos_session", "videos", &["session_id"], false),
            index("ix_threads_session", "threads", &["session_id"], false),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES.iter().rev() {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(*name))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Per-tenant authenticity policy (issue 22): a table of its own, so databases
/// created by `m0001` gain it on upgrade and a tenant without a row keeps the defaults.
struct TenantBlockingPolicies;

impl MigrationName for TenantBlockingPolicies {
    fn name(&self) -> &str {
        "m0002_tenant_blocking_policies"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TenantBlockingPolicies {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table(
                "tenant_blocking_policies",
                vec![
                    string("tenant_id"),
                    double("block_score"),
                    int("block_risk"),
                    int("mode"),
                    millis("updated_at"),
                ],
                &["tenant_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("tenant_blocking_policies"))
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

/// Per-tenant pose model (issue 17): a column with an empty default, so tenants of
/// older databases keep the deployment's default model.
struct TenantPoseModels;

impl MigrationName for TenantPoseModels {
    fn name(&self) -> &str {
        "m0003_tenant_pose_models"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TenantPoseModels {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = col("pose_model_id");
        column.string_len(255).not_null().default("");
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("tenants"))
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("tenants"))
                    .drop_column(Alias::new("pose_model_id"))
                    .to_owned(),
            )
            .await
    }
}

/// Per-tenant analysis limits (issue 20): a row only for tenants whose admin set
/// them; zero columns take the deployment's limits.
struct TenantAnalysisLimits;

impl MigrationName for TenantAnalysisLimits {
    fn name(&self) -> &str {
        "m0004_tenant_analysis_limits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for TenantAnalysisLimits {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table(
                "tenant_analysis_limits",
                vec![
                    string("tenant_id"),
                    millis("max_video_seconds"),
                    millis("max_video_frames"),
                    millis("max_concurrent_analyses"),
                    millis("updated_at"),
                ],
                &["tenant_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("tenant_analysis_limits"))
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

/// Share links (issue 21): revocable read-only links to one session's result.
struct ShareLinks;

impl MigrationName for ShareLinks {
    fn name(&self) -> &str {
        "m0005_share_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ShareLinks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table(
                "share_links",
                vec![
                    string("id"),
                    string("tenant_id"),
                    string("session_id"),
                    string("created_by"),
                    string("token_hash"),
                    millis("created_at"),
                    millis("expires_at"),
                    millis_null("revoked_at"),
                ],
                &["id"],
            ))
            .await?;
        manager
            .create_index(index(
                "share_links_token_hash",
                "share_links",
                &["token_hash"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "share_links_session",
                "share_links",
                &["session_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("share_links"))
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

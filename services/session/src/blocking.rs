//! Each tenant's authenticity policy (`BlockingPolicy`): stored as an admin set
//! it (zero fields = the default), sent with every CheckVideo of the tenant's
//! videos, shown with the defaults filled in. A tenant without a row has every
//! default (block at score >= 40 or MEDIUM/HIGH risk).

use fitvision_proto::v1 as pb;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::db::entity::tenant_blocking_policy;
use crate::db::now_ms;

/// The tenant's policy as set, or `None` when it never set one.
pub async fn stored<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
) -> Result<Option<pb::BlockingPolicy>, DbErr> {
    Ok(
        tenant_blocking_policy::Entity::find_by_id(tenant_id.to_owned())
            .one(db)
            .await?
            .map(|row| pb::BlockingPolicy {
                block_score: row.block_score,
                block_risk: row.block_risk,
                mode: row.mode,
            }),
    )
}

/// The policy in force for the tenant, every field filled in.
pub async fn in_force<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
) -> Result<pb::BlockingPolicy, DbErr> {
    let stored = stored(db, tenant_id).await?;
    Ok(fitvision_proto::blocking::effective(stored.as_ref()))
}

/// Stores (inserts or replaces) the tenant's policy; the caller validated it.
pub async fn store<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    policy: &pb::BlockingPolicy,
) -> Result<(), DbErr> {
    let row = tenant_blocking_policy::ActiveModel {
        tenant_id: Set(tenant_id.to_owned()),
        block_score: Set(policy.block_score),
        block_risk: Set(policy.block_risk),
        mode: Set(policy.mode),
        updated_at: Set(now_ms()),
    };
    tenant_blocking_policy::Entity::insert(row)
        .on_conflict(
            OnConflict::column(tenant_blocking_policy::Column::TenantId)
                .update_columns([
                    tenant_blocking_policy::Column::BlockScore,
                    tenant_blocking_policy::Column::BlockRisk,
                    tenant_blocking_policy::Column::Mode,
                    tenant_blocking_policy::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

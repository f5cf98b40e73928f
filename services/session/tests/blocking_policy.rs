//! Each tenant's authenticity policy (Get/SetBlockingPolicy) on SQLite and
//! PostgreSQL: defaults, storing and reading back, admin-only access, tenant
//! isolation, validation, and the migration that adds its table to an
//! existing database.

mod support;

use fitvision_proto::v1 as pb;
use fitvision_session::db::entity::tenant_blocking_policy;
use sea_orm::EntityTrait;
use support::{ADMIN_KEY, TestServer, authed, start_server};
use tonic::Code;

async fn key_for(server: &mut TestServer, tenant: &str, user: &str, role: pb::Role) -> String {
    server
        .client
        .create_api_key(authed(
            ADMIN_KEY,
            pb::CreateApiKeyRequest {
                user_id: user.into(),
                role: role as i32,
                scopes: vec![],
                tenant_id: tenant.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key
}

async fn get(
    server: &mut TestServer,
    key: &str,
    tenant: &str,
) -> Result<pb::GetBlockingPolicyResponse, tonic::Status> {
    server
        .client
        .get_blocking_policy(authed(
            key,
            pb::GetBlockingPolicyRequest {
                tenant_id: tenant.into(),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

async fn set(
    server: &mut TestServer,
    key: &str,
    tenant: &str,
    policy: pb::BlockingPolicy,
) -> Result<pb::SetBlockingPolicyResponse, tonic::Status> {
    server
        .client
        .set_blocking_policy(authed(
            key,
            pb::SetBlockingPolicyRequest {
                tenant_id: tenant.into(),
                policy: Some(policy),
            },
        ))
        .await
        .map(|r| r.into_inner())
}

fn defaults() -> pb::BlockingPolicy {
    pb::BlockingPolicy {
        block_score: 40.0,
        block_risk: pb::RiskLevel::Medium as i32,
        mode: pb::BlockingMode::Block as i32,
    }
}

#[tokio::test]
async fn admins_store_and_read_their_tenants_policy() {
    for backend in support::backends() {
        let mut server = start_server(&backend, |_| {}).await;
        let name = backend.name();
        let acme_admin = key_for(&mut server, "acme", "boss", pb::Role::Admin).await;
        let acme_coach = key_for(&mut server, "acme", "coach", pb::Role::SubAdmin).await;
        let acme_user = key_for(&mut server, "acme", "alice", pb::Role::User).await;
        let gofa_user = key_for(&mut server, "", "bob", pb::Role::User).await;

        // Never set: every default, for the caller's tenant when none is named.
        let own = get(&mut server, &acme_admin, "").await.unwrap();
        assert_eq!(own.tenant_id, "acme", "{name}");
        assert_eq!(own.policy, Some(defaults()), "{name}");

        // Set: stored as given, answered and read back with the defaults filled in.
        let flag = pb::BlockingPolicy {
            block_score: 0.0,
            block_risk: pb::RiskLevel::High as i32,
            mode: pb::BlockingMode::Flag as i32,
        };
        let in_force = pb::BlockingPolicy {
            block_score: 40.0,
            ..flag
        };
        let answer = set(&mut server, &acme_admin, "acme", flag).await.unwrap();
        assert_eq!(
            (answer.tenant_id.as_str(), answer.policy),
            ("acme", Some(in_force)),
            "{name}"
        );
        assert_eq!(
            get(&mut server, &acme_admin, "").await.unwrap().policy,
            Some(in_force),
            "{name}"
        );
        let row = tenant_blocking_policy::Entity::find_by_id("acme".to_owned())
            .one(&server.context.db)
            .await
            .unwrap()
            .expect("stored row");
        assert_eq!(
            (row.block_score, row.block_risk, row.mode),
            (0.0, flag.block_risk, flag.mode),
            "{name}: zero fields are stored as zero (= the default)"
        );
        // Replacing it updates the same row.
        let strict = pb::BlockingPolicy {
            block_score: 30.0,
            block_risk: pb::RiskLevel::Medium as i32,
            mode: pb::BlockingMode::Block as i32,
        };
        set(&mut server, &acme_admin, "", strict).await.unwrap();
        assert_eq!(
            get(&mut server, &acme_admin, "acme").await.unwrap().policy,
            Some(strict),
            "{name}"
        );

        // Another tenant keeps its own (default) policy.
        assert_eq!(
            get(&mut server, ADMIN_KEY, "").await.unwrap().policy,
            Some(defaults()),
            "{name}"
        );
        // The platform admin reaches any existing tenant, not unknown ones.
        assert_eq!(
            get(&mut server, ADMIN_KEY, "acme").await.unwrap().policy,
            Some(strict),
            "{name}"
        );
        let unknown = get(&mut server, ADMIN_KEY, "nobody").await.unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound, "{name}");
        let unknown = set(&mut server, ADMIN_KEY, "nobody", strict)
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound, "{name}");

        // Admin-only: users and sub-admins are refused, reading or writing.
        for key in [&acme_user, &acme_coach, &gofa_user] {
            assert_eq!(
                get(&mut server, key, "").await.unwrap_err().code(),
                Code::PermissionDenied,
                "{name}"
            );
            assert_eq!(
                set(&mut server, key, "", defaults())
                    .await
                    .unwrap_err()
                    .code(),
                Code::PermissionDenied,
                "{name}"
            );
        }
        // A tenant admin does not reach another tenant.
        assert_eq!(
            get(&mut server, &acme_admin, "gofa")
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied,
            "{name}"
        );
        assert_eq!(
            set(&mut server, &acme_admin, "gofa", flag)
                .await
                .unwrap_err()
                .code(),
            Code::PermissionDenied,
            "{name}"
        );
        assert_eq!(
            get(&mut server, ADMIN_KEY, "").await.unwrap().policy,
            Some(defaults()),
            "{name}: the refused write changed nothing"
        );
        // No credential at all.
        let anonymous = server
            .client
            .get_blocking_policy(pb::GetBlockingPolicyRequest::default())
            .await
            .unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated, "{name}");

        // Values out of range are INVALID_ARGUMENT and leave the policy as it was.
        for bad in [
            pb::BlockingPolicy {
                block_score: 100.5,
                ..Default::default()
            },
            pb::BlockingPolicy {
                block_score: -5.0,
                ..Default::default()
            },
            pb::BlockingPolicy {
                block_score: f64::NAN,
                ..Default::default()
            },
            pb::BlockingPolicy {
                block_risk: pb::RiskLevel::Low as i32,
                ..Default::default()
            },
            pb::BlockingPolicy {
                block_risk: 42,
                ..Default::default()
            },
            pb::BlockingPolicy {
                mode: 9,
                ..Default::default()
            },
        ] {
            let status = set(&mut server, &acme_admin, "", bad).await.unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument, "{name}: {bad:?}");
        }
        assert_eq!(
            get(&mut server, &acme_admin, "").await.unwrap().policy,
            Some(strict),
            "{name}"
        );
        // An absent policy restores every default.
        server
            .client
            .set_blocking_policy(authed(
                &acme_admin,
                pb::SetBlockingPolicyRequest {
                    tenant_id: String::new(),
                    policy: None,
                },
            ))
            .await
            .unwrap();
        assert_eq!(
            get(&mut server, &acme_admin, "").await.unwrap().policy,
            Some(defaults()),
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_existing_database_gains_the_policy_table_on_upgrade() {
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;

    for backend in support::backends() {
        let name = backend.name();
        let dir = tempfile::tempdir().unwrap();
        let url = support::database_url(&backend, dir.path()).await;
        // A database as the first release left it: only the initial schema.
        let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
        fitvision_session::db::migration::Migrator::up(&old, Some(1))
            .await
            .unwrap();
        assert!(
            old.execute_unprepared("SELECT tenant_id FROM tenant_blocking_policies")
                .await
                .is_err(),
            "{name}: the old schema has no policy table"
        );
        old.execute_unprepared(
            "INSERT INTO tenants (id, name, enabled_modules, created_at) \
             VALUES ('acme', 'acme', '[]', 0)",
        )
        .await
        .unwrap();
        old.close().await.unwrap();

        // Starting the new version migrates it; the tenant keeps the defaults.
        let db = fitvision_session::db::connect_and_migrate(&url)
            .await
            .unwrap();
        let pending = fitvision_session::db::migration::Migrator::get_pending_migrations(&db)
            .await
            .unwrap();
        assert!(pending.is_empty(), "{name}");
        assert_eq!(
            fitvision_session::blocking::in_force(&db, "acme")
                .await
                .unwrap(),
            defaults(),
            "{name}"
        );
        let flag = pb::BlockingPolicy {
            mode: pb::BlockingMode::Flag as i32,
            ..Default::default()
        };
        fitvision_session::blocking::store(&db, "acme", &flag)
            .await
            .unwrap();
        assert_eq!(
            fitvision_session::blocking::stored(&db, "acme")
                .await
                .unwrap(),
            Some(flag),
            "{name}"
        );
    }
}

//! The token-signing secret of an embedded install lives in a private file, not in
//! the database: created 0600 at first start, reused on restart (tokens stay
//! valid), and a secret an older version kept in the database moves to the file.

use fitvision_session::db::entity::setting;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use tokio_util::sync::CancellationToken;

const ADMIN_KEY: &str = "token-secret-test-admin-key";

async fn start(data_dir: &std::path::Path) -> (fitvision_session::Started, CancellationToken) {
    let mut config = fitvision_session::Config::embedded(data_dir.to_path_buf());
    config.admin_key = Some(ADMIN_KEY.to_owned());
    config.workers = 0;
    let shutdown = CancellationToken::new();
    let started = fitvision_session::start(&config, shutdown.clone())
        .await
        .expect("session starts");
    (started, shutdown)
}

async fn stored_setting(started: &fitvision_session::Started) -> Option<String> {
    setting::Entity::find_by_id("token_signing_secret".to_owned())
        .one(&started.context.db)
        .await
        .unwrap()
        .map(|s| s.value)
}

#[tokio::test]
async fn the_secret_is_a_private_file_and_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (started, shutdown) = start(dir.path()).await;
    let file = dir.path().join("token-secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_eq!(
        stored_setting(&started).await,
        None,
        "no copy in the database"
    );
    let (token, _) = started
        .context
        .auth
        .issue_token(fitvision_session::auth::ADMIN_KEY_ID, ADMIN_KEY)
        .await
        .unwrap();
    shutdown.cancel();
    drop(started);

    let (again, shutdown) = start(dir.path()).await;
    let principal = again
        .context
        .auth
        .authenticate(&format!("Bearer {token}"))
        .await
        .expect("a token from before the restart is still valid");
    assert!(principal.is_admin());
    shutdown.cancel();
}

#[tokio::test]
async fn a_secret_kept_in_the_database_moves_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (started, shutdown) = start(dir.path()).await;
    // An older install: the secret in the settings table, no file.
    std::fs::remove_file(dir.path().join("token-secret")).unwrap();
    setting::ActiveModel {
        key: Set("token_signing_secret".to_owned()),
        value: Set("legacy-secret-0123456789".to_owned()),
    }
    .insert(&started.context.db)
    .await
    .unwrap();
    shutdown.cancel();
    drop(started);

    let (again, shutdown) = start(dir.path()).await;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("token-secret")).unwrap(),
        "legacy-secret-0123456789"
    );
    assert_eq!(
        stored_setting(&again).await,
        None,
        "removed from the database"
    );
    shutdown.cancel();
}

//! Where the token-signing secret comes from.
//!
//! Whoever holds it can mint a platform-admin token, so it is kept out of the
//! database where it can be: `--token-secret` / `FITVISION_TOKEN_SECRET` (a
//! deployment's Secret) wins; else, with the embedded SQLite database, a file
//! (`--token-secret-file`, default `<data-dir>/token-secret`) readable by this user
//! only, generated at first start. A secret an earlier version kept in the database
//! moves to that file (tokens already issued stay valid) and leaves the database.
//! Replicas sharing PostgreSQL and given no secret keep one in the shared database
//! (each replica must accept the others' tokens), with a warning to supply one.

use std::io::Write;
use std::path::Path;

use sea_orm::{DatabaseConnection, EntityTrait};

use crate::auth::{TOKEN_SECRET_SETTING, generate_secret};
use crate::config::Config;
use crate::db::entity::setting;

/// The configured or file-kept secret; `None` when the shared database keeps it.
pub async fn token_secret(
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<Option<String>> {
    if let Some(secret) = config.token_secret.clone().filter(|s| !s.is_empty()) {
        return Ok(Some(secret));
    }
    if !config.database_url().starts_with("sqlite:") {
        tracing::warn!(
            "no FITVISION_TOKEN_SECRET: the token-signing secret is kept in the shared \
             database; supply it from a secret store instead"
        );
        return Ok(None);
    }
    let path = config
        .token_secret_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("token-secret"));
    if let Some(secret) = read_secret(&path)? {
        forget_database_copy(db).await?;
        return Ok(Some(secret));
    }
    let legacy = setting::Entity::find_by_id(TOKEN_SECRET_SETTING.to_owned())
        .one(db)
        .await?
        .map(|found| found.value);
    let secret = legacy.unwrap_or_else(generate_secret);
    write_private(&path, &secret)?;
    forget_database_copy(db).await?;
    tracing::info!(path = %path.display(), "token-signing secret kept in a private file");
    Ok(Some(secret))
}

fn read_secret(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Ok(_) => anyhow::bail!("{} is empty", path.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(anyhow::anyhow!("{}: {error}", path.display())),
    }
}

/// Creates `path` readable and writable by this user only (never replacing a file).
fn write_private(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

async fn forget_database_copy(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    setting::Entity::delete_by_id(TOKEN_SECRET_SETTING.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

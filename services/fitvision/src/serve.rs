//! `fitvision serve`: every service of the suite in one process, on the
//! documented ports, with the embedded defaults (SQLite file and a local
//! object-store directory under `--data-dir`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Parser;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Directory for the SQLite database and stored videos/artefacts.
    #[arg(long, env = "FITVISION_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Directory holding the model manifests and ONNX files.
    #[arg(long, env = "FITVISION_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// Interface every service binds (loopback by default).
    #[arg(long, env = "FITVISION_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    #[arg(long, env = "FITVISION_EDGE_PORT", default_value_t = 8080)]
    pub edge_port: u16,
    #[arg(long, env = "FITVISION_SESSION_PORT", default_value_t = 50051)]
    pub session_port: u16,
    #[arg(long, env = "FITVISION_POSE_PORT", default_value_t = 50052)]
    pub pose_port: u16,
    #[arg(long, env = "FITVISION_CHEAT_PORT", default_value_t = 50053)]
    pub cheat_port: u16,
    #[arg(long, env = "FITVISION_METRICS_PORT", default_value_t = 50054)]
    pub metrics_port: u16,
    #[arg(long, env = "FITVISION_COACHING_PORT", default_value_t = 50055)]
    pub coaching_port: u16,
}

/// Parses a service's configuration from its defaults and `FITVISION_*`
/// environment, exactly as its own binary would with no flags.
#[derive(clap::Parser)]
struct Defaults<T: clap::Args> {
    #[command(flatten)]
    inner: T,
}

fn defaults<T: clap::Args>() -> anyhow::Result<T> {
    Ok(Defaults::<T>::try_parse_from(["fitvision"])?.inner)
}

/// The models shipped in the repository, when running from a checkout.
fn default_models_dir() -> PathBuf {
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    if in_repo.is_dir() {
        in_repo.canonicalize().unwrap_or(in_repo)
    } else {
        PathBuf::from("models")
    }
}

pub async fn run(args: ServeArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data dir {}", args.data_dir.display()))?;
    let data_dir = args.data_dir.canonicalize()?;
    let objects_dir = data_dir.join("objects");
    std::fs::create_dir_all(&objects_dir)?;
    let storage_url = format!("file://{}", objects_dir.display());
    let models_dir = args.models_dir.clone().unwrap_or_else(default_models_dir);
    let at = |port: u16| SocketAddr::new(args.bind, port);
    let url = |port: u16| format!("http://{}", at(port));

    let mut pose: fitvision_pose_inference::Config = defaults()?;
    pose.addr = at(args.pose_port);
    pose.models_dir = Some(models_dir.clone());
    pose.storage.storage_url = Some(storage_url.clone());

    let mut cheat: fitvision_cheat_detection::Config = defaults()?;
    cheat.addr = at(args.cheat_port);
    cheat.models_dir = models_dir.clone();
    cheat.storage.storage_url = Some(storage_url.clone());

    let mut metrics: fitvision_exercise_metrics::Config = defaults()?;
    metrics.addr = at(args.metrics_port);

    let mut coaching: fitvision_coaching::Config = defaults()?;
    coaching.addr = at(args.coaching_port);

    let mut session: fitvision_session::Config = defaults()?;
    session.addr = at(args.session_port);
    session.data_dir = data_dir.clone();
    session.storage.storage_url = Some(storage_url.clone());
    session.pose_inference_url = url(args.pose_port);
    session.cheat_detection_url = url(args.cheat_port);
    session.exercise_metrics_url = url(args.metrics_port);
    session.coaching_url = url(args.coaching_port);

    let mut edge: fitvision_edge::Config = defaults()?;
    edge.addr = at(args.edge_port);
    edge.session_url = url(args.session_port);
    edge.storage_url = Some(storage_url.clone());

    // The suite's own calls carry a service token, so the session tells them from
    // outside callers (whose failed authentications it limits per address): the
    // configured one, else one made up for this process. Bound beyond loopback, the
    // internal services require it too.
    let token = session
        .server
        .service_token
        .clone()
        .filter(|token| !token.is_empty())
        .unwrap_or_else(|| {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        });
    fitvision_service_kit::service_auth::set_outgoing_token(token.clone());
    session.server.service_token = Some(token.clone());
    if !args.bind.is_loopback() {
        for server in [
            &mut pose.server,
            &mut cheat.server,
            &mut metrics.server,
            &mut coaching.server,
        ] {
            server.service_token = Some(token.clone());
        }
    }

    tracing::info!(data_dir = %data_dir.display(), models_dir = %models_dir.display(), "starting the fitvision suite");

    let mut services = JoinSet::new();
    let token = shutdown.clone();
    services.spawn(async move {
        (
            "pose-inference",
            fitvision_pose_inference::run(pose, token).await,
        )
    });
    let token = shutdown.clone();
    services.spawn(async move {
        (
            "cheat-detection",
            fitvision_cheat_detection::run(cheat, token).await,
        )
    });
    let token = shutdown.clone();
    services.spawn(async move {
        (
            "exercise-metrics",
            fitvision_exercise_metrics::run(metrics, token).await,
        )
    });
    let token = shutdown.clone();
    services.spawn(async move { ("coaching", fitvision_coaching::run(coaching, token).await) });
    let token = shutdown.clone();
    services.spawn(async move { ("session", fitvision_session::run(session, token).await) });
    let token = shutdown.clone();
    services.spawn(async move { ("edge", fitvision_edge::run(edge, token).await) });

    // One service failing takes the suite down cleanly rather than leaving a
    // half-working process behind.
    let mut failure = None;
    while let Some(joined) = services.join_next().await {
        match joined {
            Ok((name, Ok(()))) => tracing::info!(service = name, "stopped"),
            Ok((name, Err(error))) => {
                tracing::error!(
                    service = name,
                    error = format!("{error:#}"),
                    "service failed; stopping the suite"
                );
                failure.get_or_insert_with(|| error.context(format!("{name} failed")));
                shutdown.cancel();
            }
            Err(join_error) => {
                tracing::error!(%join_error, "service task panicked; stopping the suite");
                failure
                    .get_or_insert_with(|| anyhow::anyhow!("service task panicked: {join_error}"));
                shutdown.cancel();
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

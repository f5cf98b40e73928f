//! pose-bench: per-stage timings, end-to-end throughput and peak RSS of the pose
//! pipeline on a few videos, and the same clip through Ultralytics' `solutions.AIGym`
//! for comparison. Not a test: it prints figures.
//!
//! ```text
//! pose-bench [--threads 2] [--input-size 640] [--model ID] [--target-fps F]
//!            [--whole-frame] [--person-px 320] [--opt-level 3]
//!            [--memory-pattern BOOL] [--spin BOOL]
//!            [--baseline [--ablation] [--reps 3]] [--long] [VIDEO...]
//! ```
//! Without videos it uses the sports2d fixture (fetched by scripts/fetch-fixtures.sh)
//! and, when present, a few ../shared/videos clips of different sizes. `--long` adds a
//! generated 60 s 1080p clip (the peak-RSS target). Each video runs in a child process
//! so its peak RSS is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sha2::Digest;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fitvision_pose_inference::bench_peer;
use fitvision_pose_inference::cadence::CadenceConfig;
use fitvision_pose_inference::engine::{
    DEFAULT_INPUT_LONG_SIDE, DEFAULT_INTRA_OP_THREADS, DEFAULT_MODEL_ID,
};
use fitvision_pose_inference::focus::FocusConfig;
use fitvision_pose_inference::{
    InputPolicy, PoseEngine, PoseOptions, RegistryConfig, SessionOptions,
};

#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    setup: Setup,
    /// Also run Ultralytics solutions.AIGym on the sports2d fixture, interleaved with
    /// ours, and print the median throughput ratio.
    #[arg(long)]
    baseline: bool,
    /// With --baseline: also each optimisation on its own (whole frame vs person-sized
    /// input, FP32 vs INT8, ONNX Runtime options), each against the same AIGym runs.
    #[arg(long)]
    ablation: bool,
    /// Repetitions of the baseline comparison (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Add a generated 60 s 1080p clip.
    #[arg(long)]
    long: bool,
    /// Internal: process one video in this process and print one JSON line.
    #[arg(long, hide = true)]
    child: bool,
    videos: Vec<PathBuf>,
}

/// How our pipeline runs: the defaults are the service's.
#[derive(clap::Args, Debug, Clone)]
struct Setup {
    /// ONNX Runtime intra-op threads (the target machine has 2 cores).
    #[arg(long, default_value_t = DEFAULT_INTRA_OP_THREADS)]
    threads: usize,
    /// Long side of the dynamic model's input for the whole frame.
    #[arg(long, default_value_t = DEFAULT_INPUT_LONG_SIDE)]
    input_size: u32,
    #[arg(long, default_value = DEFAULT_MODEL_ID)]
    model: String,
    /// Analyse at most this many frames per second (0 = every frame).
    #[arg(long, default_value_t = 0.0)]
    target_fps: f64,
    /// Analyse every frame whole (no person-sized inputs).
    #[arg(long)]
    whole_frame: bool,
    /// Coarse to fine (interpolate the frames between two coarse ones where the
    /// motion is steady), as the session asks for controlled exercises.
    #[arg(long)]
    coarse_to_fine: bool,
    /// Person-sized inputs: the largest person's long side in input px.
    #[arg(long, default_value_t = FocusConfig::default().person_long_side_px)]
    person_px: f32,
    /// ONNX Runtime graph optimisation level (0-3).
    #[arg(long, default_value_t = SessionOptions::cpu(2, 640).optimization_level)]
    opt_level: u8,
    /// ONNX Runtime memory pattern on.
    #[arg(long, default_value_t = SessionOptions::cpu(2, 640).memory_pattern, action = clap::ArgAction::Set)]
    memory_pattern: bool,
    /// Models directory (default: the repository's models/).
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// ONNX Runtime intra-op spinning on.
    #[arg(long, default_value_t = SessionOptions::cpu(2, 640).intra_op_spinning, action = clap::ArgAction::Set)]
    spin: bool,
}

impl Setup {
    fn child_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--threads={}", self.threads),
            format!("--input-size={}", self.input_size),
            format!("--model={}", self.model),
            format!("--target-fps={}", self.target_fps),
            format!("--person-px={}", self.person_px),
            format!("--opt-level={}", self.opt_level),
            format!("--memory-pattern={}", self.memory_pattern),
            format!("--spin={}", self.spin),
        ];
        if self.whole_frame {
            args.push("--whole-frame".to_owned());
        }
        if self.coarse_to_fine {
            args.push("--coarse-to-fine".to_owned());
        }
        if let Some(dir) = &self.models_dir {
            args.push(format!("--models-dir={}", dir.display()));
        }
        args
    }

    fn describe(&self) -> String {
        format!(
            "model {} threads {} input {} {} target_fps {}{} opt_level {} memory_pattern {} spin {}",
            self.model,
            self.threads,
            self.input_size,
            if self.whole_frame {
                "whole-frame".to_owned()
            } else {
                format!("person-sized({} px)", self.person_px)
            },
            self.target_fps,
            if self.coarse_to_fine {
                " coarse-to-fine"
            } else {
                ""
            },
            self.opt_level,
            self.memory_pattern,
            self.spin
        )
    }

    fn options(&self) -> PoseOptions {
        PoseOptions {
            target_fps: self.target_fps,
            input: if self.whole_frame {
                InputPolicy::WholeFrame
            } else {
                InputPolicy::PersonSized(FocusConfig {
                    person_long_side_px: self.person_px,
                    ..FocusConfig::default()
                })
            },
            cadence: self.coarse_to_fine.then(CadenceConfig::default),
            ..PoseOptions::default()
        }
    }
}

const THROUGHPUT_DEFINITION: &str = "fps = source video frames per second of wall clock, from opening the video to the last frame's output (model loading excluded, as for AIGym); with target_fps 0 every source frame gets its own output";

fn main() -> Result<()> {
    let args = Args::parse();
    if args.child {
        let video = args.videos.first().context("--child needs a video")?;
        return run_child(&args.setup, video);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixture = fetch_fixture(&repo)?;
    let mut videos = args.videos.clone();
    if videos.is_empty() {
        videos.push(fixture.clone());
        let shared = repo.join("../shared/videos");
        for name in [
            "pushup_side_tiny_426x226.mp4",
            "pullup_back_gym.mp4",
            "plank_screenrec.mp4",
            "squat_barbell_side_60fps.mp4",
        ] {
            let path = shared.join(name);
            if path.is_file() {
                videos.push(path);
            }
        }
    }
    if args.long {
        videos.push(long_clip(&repo)?);
    }
    println!("pose-bench: {}", args.setup.describe());
    println!("{THROUGHPUT_DEFINITION}");
    println!(
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "stage columns: mean ms per analysed frame for decode (it overlaps the rest), per inferred frame for prep/infer/post; interp = analysed frames interpolated (coarse to fine); undec = frames left undecoded (non-reference pictures not sampled); cpu s = the run's user + system CPU time"
    );
    println!(
        "{:<36} {:>10} {:>6} {:>6} {:>8} {:>6} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8}",
        "video",
        "size",
        "frames",
        "undec",
        "analysed",
        "interp",
        "decode",
        "prep",
        "infer",
        "post",
        "fps",
        "wall s",
        "cpu s",
        "peakMB"
    );
    for video in &videos {
        let report = run_in_child(&args.setup, video)?;
        println!(
            "{:<36} {:>10} {:>6} {:>6} {:>8} {:>6} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>7.2} {:>7.2} {:>8.1}",
            video.file_name().unwrap_or_default().to_string_lossy(),
            format!("{}x{}", report["width"], report["height"]),
            report["frames_decoded"],
            report["frames_left_undecoded"],
            report["frames_analysed"],
            report["frames_interpolated"],
            report["decode_ms"].as_f64().unwrap_or_default(),
            report["preprocess_ms"].as_f64().unwrap_or_default(),
            report["inference_ms"].as_f64().unwrap_or_default(),
            report["postprocess_ms"].as_f64().unwrap_or_default(),
            report["fps"].as_f64().unwrap_or_default(),
            report["seconds"].as_f64().unwrap_or_default(),
            report["cpu_seconds"].as_f64().unwrap_or_default(),
            report["peak_rss_mb"].as_f64().unwrap_or_default(),
        );
    }
    if args.baseline {
        compare_with_aigym(&args, &repo, &fixture)?;
    }
    Ok(())
}

/// The model `--ablation` takes apart: the levers it measures (whole-frame vs
/// person-sized input, INT8) are those of the YOLO pose family.
const ABLATION_MODEL_ID: &str = "yolo11n-pose-dynamic";

/// The configurations of `--ablation`: the session-1 pipeline, then one change at a
/// time, then the combinations; the configured setup always comes first.
fn configurations(args: &Args, repo: &Path, fixture: &Path) -> Result<Vec<(String, Setup)>> {
    let chosen = ("configured (default)".to_owned(), args.setup.clone());
    if !args.ablation {
        return Ok(vec![chosen]);
    }
    let fp32 = ABLATION_MODEL_ID.to_owned();
    let int8 = format!("{ABLATION_MODEL_ID}-int8");
    let int8_dir = int8_models_dir(repo, fixture, &int8)?;
    let base = Setup {
        model: fp32.clone(),
        whole_frame: true,
        memory_pattern: true,
        spin: false,
        opt_level: 3,
        ..args.setup.clone()
    };
    let with = |label: &str, change: &dyn Fn(&mut Setup)| {
        let mut setup = base.clone();
        change(&mut setup);
        (label.to_owned(), setup)
    };
    let to_int8 = |setup: &mut Setup| {
        setup.model = int8.clone();
        setup.models_dir = Some(int8_dir.clone());
    };
    Ok(vec![
        chosen,
        with("whole frame FP32 (session 1)", &|_| {}),
        with("+ memory pattern off", &|s| s.memory_pattern = false),
        with("+ intra-op spinning", &|s| s.spin = true),
        with("+ opt level 1 (basic)", &|s| s.opt_level = 1),
        with("+ person-sized input", &|s| s.whole_frame = false),
        with("+ person-sized, memory pattern off", &|s| {
            s.whole_frame = false;
            s.memory_pattern = false;
        }),
        with("+ INT8 (rejected: accuracy)", &to_int8),
        with("+ person-sized + INT8 (rejected: accuracy)", &|s| {
            s.whole_frame = false;
            to_int8(s);
        }),
    ])
}

/// The INT8 model is not shipped (its keypoints drift too far from FP32, see the
/// README); for the ablation it is made with models/quantize_yolo_pose.py into a
/// cache directory next to the fixture.
fn int8_models_dir(repo: &Path, fixture: &Path, id: &str) -> Result<PathBuf> {
    let dir = fixture.with_file_name("models-int8");
    let model = dir.join(format!("{id}.onnx"));
    let manifest = dir.join(format!("{id}.toml"));
    if manifest.is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)?;
    let source = repo.join(format!("models/yolo11n-pose/{ABLATION_MODEL_ID}.onnx"));
    let output = Command::new(bench_peer::python())
        .arg(repo.join("models/quantize_yolo_pose.py"))
        .args([&source, &model, &fixture.to_path_buf()])
        .output()
        .context("quantising the model (FITVISION_BENCH_PYTHON needs onnxruntime)")?;
    if !output.status.success() {
        bail!(
            "quantize_yolo_pose.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let bytes = std::fs::read(&model)?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    std::fs::write(
        &manifest,
        format!(
            "id = \"{id}\"\nfamily = \"yolo-pose\"\nfile = \"{id}.onnx\"\nsha256 = \"{sha256}\"\ninput_width = 640\ninput_height = 640\ndynamic = true\nkeypoint_schema = \"coco17\"\nlicence = \"AGPL-3.0\"\n"
        ),
    )?;
    Ok(dir)
}

/// AIGym and our configurations interleaved, `reps` times; medians and the ratio.
fn compare_with_aigym(args: &Args, repo: &Path, fixture: &Path) -> Result<()> {
    let configurations = configurations(args, repo, fixture)?;
    println!(
        "baseline: Ultralytics solutions.AIGym vs fitvision on {}, {} threads, {} repetitions interleaved",
        fixture.file_name().unwrap_or_default().to_string_lossy(),
        args.setup.threads,
        args.reps
    );
    for (index, (label, setup)) in configurations.iter().enumerate() {
        println!("  [{index}] {label}: {}", setup.describe());
    }
    let mut aigym = Vec::new();
    let mut ours: Vec<Vec<(f64, f64)>> = vec![Vec::new(); configurations.len()];
    for rep in 1..=args.reps.max(1) {
        let baseline = bench_peer::run_aigym(fixture, args.setup.threads)?.fps;
        let mut line = format!("rep {rep}: AIGym {baseline:.2} fps");
        for (index, (_, setup)) in configurations.iter().enumerate() {
            let report = run_in_child(setup, fixture)?;
            let fps = report["fps"].as_f64().unwrap_or_default();
            line.push_str(&format!(" | [{index}] {fps:.2}"));
            ours[index].push((fps, fps / baseline));
        }
        println!("{line}");
        aigym.push(baseline);
    }
    let aigym_median = median(aigym.clone());
    println!("AIGym median {aigym_median:.2} fps");
    println!(
        "{:<4} {:<42} {:>10} {:>12} {:>14}",
        "", "configuration", "median fps", "x AIGym med.", "median of ratios"
    );
    for (index, (label, _)) in configurations.iter().enumerate() {
        let fps = median(ours[index].iter().map(|(fps, _)| *fps).collect());
        let ratio = median(ours[index].iter().map(|(_, ratio)| *ratio).collect());
        println!(
            "[{index}]  {label:<42} {fps:>10.2} {:>11.2}x {ratio:>13.2}x",
            fps / aigym_median
        );
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn run_child(args: &Setup, video: &Path) -> Result<()> {
    let mut config = RegistryConfig::from_env();
    if let Some(dir) = &args.models_dir {
        config.models_dir = dir.clone();
    }
    config.default_model = args.model.clone();
    config.only = vec![args.model.clone()];
    config.session.intra_op_threads = args.threads;
    config.session.dynamic_long_side = args.input_size;
    config.session.optimization_level = args.opt_level;
    config.session.memory_pattern = args.memory_pattern;
    config.session.intra_op_spinning = args.spin;
    let engine = PoseEngine::load(&config)?;
    let options = args.options();
    let started = Instant::now();
    let (track, summary) = engine.extract(video, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let info = track.video.unwrap_or_default();
    let report = serde_json::json!({
        "width": info.width_px,
        "height": info.height_px,
        "frames_decoded": summary.frames_decoded,
        "frames_analysed": summary.frames_analysed,
        "frames_interpolated": summary.frames_interpolated,
        "frames_left_undecoded": summary.frames_left_undecoded,
        "frames_with_person": summary.frames_with_person,
        "decode_ms": summary.decode_ms_per_frame,
        "preprocess_ms": summary.preprocess_ms_per_frame,
        "inference_ms": summary.inference_ms_per_frame,
        "postprocess_ms": summary.postprocess_ms_per_frame,
        "seconds": seconds,
        // Every source frame has an output only without a target rate.
        "fps": f64::from(if args.target_fps > 0.0 { summary.frames_analysed } else { summary.frames_decoded }) / seconds,
        "peak_rss_mb": peak_rss_kb()? as f64 / 1024.0,
        // Includes loading the model (the same for every run): compare runs, not clips.
        "cpu_seconds": cpu_seconds()?,
    });
    println!("{report}");
    Ok(())
}

fn run_in_child(setup: &Setup, video: &Path) -> Result<serde_json::Value> {
    let output = Command::new(std::env::current_exe()?)
        .arg("--child")
        .args(setup.child_args())
        .arg(video)
        .output()?;
    if !output.status.success() {
        bail!(
            "{}: {}",
            video.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("child printed nothing")?;
    Ok(serde_json::from_str(line)?)
}

/// User + system CPU time of this process so far (`/proc/self/stat`, clock ticks of
/// 1/100 s, the Linux default). Less disturbed than wall time by other work on a shared
/// machine: it counts only this process's time on a core.
fn cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let after_name = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 (from 0) here.
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields.get(i).context("stat field")?.parse::<u64>()? as f64)
    };
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// VmHWM: the process's peak resident set.
fn peak_rss_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .context("no VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?)
}

fn fetch_fixture(repo: &Path) -> Result<PathBuf> {
    let output = Command::new("bash")
        .arg(repo.join("scripts/fetch-fixtures.sh"))
        .output()
        .context("running scripts/fetch-fixtures.sh")?;
    if !output.status.success() {
        bail!(
            "fetch-fixtures.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    Ok(PathBuf::from(
        stdout
            .lines()
            .last()
            .context("fetch-fixtures.sh printed no path")?
            .trim(),
    ))
}

/// A 60 s 1920x1080 clip made by looping the fixture (cached next to it).
fn long_clip(repo: &Path) -> Result<PathBuf> {
    let fixture = fetch_fixture(repo)?;
    let path = fixture.with_file_name("bench-1080p-60s.mp4");
    bench_peer::long_1080p_clip(&fixture, path)
}

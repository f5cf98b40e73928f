//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and feeds the
//! descriptor set to tonic-prost-build; the same descriptors are written out for
//! gRPC server reflection.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with `env!`: a build-script binary reused from a
    // checkout at another path (a shared target directory) must still find `proto/`.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "fitvision/v1/common.proto",
        "fitvision/v1/pose_inference.proto",
        "fitvision/v1/cheat_detection.proto",
        "fitvision/v1/exercise_metrics.proto",
        "fitvision/v1/coaching.proto",
        "fitvision/v1/session.proto",
        "fitvision/v1/live.proto",
    ];
    for entry in walk(&proto_root)? {
        println!("cargo:rerun-if-changed={}", entry.display());
    }

    let descriptors = protox::compile(files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("fitvision_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

fn walk(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(walk(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            found.push(path);
        }
    }
    Ok(found)
}

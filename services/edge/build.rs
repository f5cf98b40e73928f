//! Embeds the browser page (`web/dist`, built by `web/build.sh`) into the binary so
//! `fitvision serve` serves it from any working directory without an env var.
//! Generates `$OUT_DIR/web_assets.rs`: a table of (url path, bytes) pairs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest_dir.join("web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &mut files);
    }
    files.sort();
    let mut table = String::from(
        "/// Files of `web/dist`: (path below the root, with a leading `/`; bytes).\n",
    );
    table.push_str("pub static WEB_ASSETS: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let relative = file.strip_prefix(&dist).expect("collected below dist");
        let url: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(
            table,
            "    ({:?}, include_bytes!({:?})),",
            format!("/{}", url.join("/")),
            file.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push_str("];\n");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("web_assets.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if path.is_file() {
            files.push(path);
        }
    }
}

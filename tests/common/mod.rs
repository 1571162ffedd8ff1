//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared real datasets, or `None` (with a message) where they are absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("YIELDLAB_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: the shared real datasets are not at {} (set YIELDLAB_SHARED_DATA to their folder)",
            dir.display()
        );
        None
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn yieldlab(args: &[&str], cwd: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_yieldlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the yieldlab binary runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "yieldlab {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

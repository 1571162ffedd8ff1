//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod markets;

/// The small dataset manifest the bad-input tests start from: a WETH/USDC pool file and
/// a long file of USD prices (a macro, so that tests can `concat!` more files onto it).
#[allow(unused_macros)] // used by some test crates, not all
macro_rules! pool_and_prices_manifest {
    () => {
        r#"[dataset]
name = "t"

[[chains]]
name = "ethereum"
native_asset = "ETH"

[[pools]]
id = "weth_usdc"
kind = "constant_product"
chain = "ethereum"
tokens = ["WETH", "USDC"]
fee = 0.003

[[files]]
path = "pool.csv"
kind = "pool"
id = "weth_usdc"
timestamp = "timestamp"
columns = { price = "price", volume_usd = "volume_usd", tvl_usd = "tvl_usd" }

[[files]]
path = "prices.csv"
kind = "price"
id_column = "asset"
timestamp = "timestamp"
columns = { price_usd = "price_usd" }
"#
    };
}
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

/// The embedded dataset's files (not its folders) copied into `dir/data`; that folder.
#[allow(dead_code)] // used by some test crates, not all
pub fn copy_embedded_data(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(repo().join("data")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
        }
    }
    data
}

/// A shipped strategy or example file's text (`rel` to the repository) with its
/// `data = "../data/manifest.toml"` made absolute, so that a copy runs from anywhere.
pub fn shipped_file_text(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap().replace(
        "data = \"../data/manifest.toml\"",
        &format!(
            "data = {:?}",
            repo().join("data/manifest.toml").to_str().unwrap()
        ),
    )
}

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Longest a single run of the binary may take in a test before it counts as a hang.
pub const HANG_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

/// Runs the binary in `cwd`, with `stdin` piped in when given; no checks. A run still
/// going after `HANG_LIMIT` is killed and reported with code -2 and "HANG" in stderr.
pub fn run_binary(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Run {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_yieldlab"))
        .args(args)
        .current_dir(cwd)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the yieldlab binary runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        let input = input.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for yieldlab") {
            break Some(s);
        }
        if start.elapsed() > HANG_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    let code = match status {
        Some(s) => s.code().unwrap_or(-1),
        None => {
            stderr.push_str(&format!("\nHANG: killed after {HANG_LIMIT:?}"));
            -2
        }
    };
    Run {
        code,
        stdout,
        stderr,
    }
}

/// Runs the binary and fails the test on a panic.
pub fn yieldlab(args: &[&str], cwd: &Path) -> Run {
    let run = run_binary(args, cwd, None);
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "yieldlab {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

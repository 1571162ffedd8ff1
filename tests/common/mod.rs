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

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `cwd`, with `stdin` piped in when given; no checks.
pub fn run_binary(args: &[&str], cwd: &Path, stdin: Option<&str>) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yieldlab"));
    cmd.args(args).current_dir(cwd);
    let out = match stdin {
        Some(input) => {
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the yieldlab binary runs");
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(input.as_bytes())
                .expect("stdin written");
            child.wait_with_output().expect("the yieldlab binary runs")
        }
        None => cmd.output().expect("the yieldlab binary runs"),
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
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

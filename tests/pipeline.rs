//! `pipeline::run_and_write` is the `run` job as a library call: it writes the report
//! folder the CLI writes and returns what it did; bad input is an `Input` error whose
//! exit code (through `cli::Failure`, the one mapping) is 2.

mod common;

use yieldlab::batch::progress::Progress;
use yieldlab::pipeline::{run_and_write, PipelineError, RunRequest};

fn request(files: Vec<std::path::PathBuf>, out: &std::path::Path) -> RunRequest {
    RunRequest {
        strategies: files,
        data_root: None,
        out: Some(out.to_path_buf()),
        force: false,
        max_runs: 1000,
        shard: None,
        series: None,
        progress: Progress::Off,
        parquet: false,
        report: false,
        no_cache: true,
    }
}

#[test]
fn runs_and_writes_the_report_folder_and_returns_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let files = vec![
        common::repo().join("strategies/hodl.toml"),
        common::repo().join("strategies/lend.toml"),
    ];
    let s = run_and_write(&request(files, &out)).expect("the run");
    assert_eq!((s.runs, s.failed, s.total), (2, 0, 2));
    assert_eq!(s.shown.len(), 2, "two runs keep their series");
    assert_eq!(s.out_dir, out);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "a header and two rows");
    assert!(out.join("runs.txt").exists() && out.join("timeseries.csv").exists());
}

#[test]
fn bad_input_is_an_input_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    // A folder that is not a report folder.
    let e = run_and_write(&request(vec![dir.path().to_path_buf()], &out)).unwrap_err();
    assert!(matches!(e, PipelineError::Input(_)), "{e:?}");
    assert!(
        e.to_string().contains("not a yieldlab report folder"),
        "{e}"
    );
    assert_eq!(yieldlab::cli::Failure::from(e).code(), 2);
    // A strategy file that does not exist.
    let e = run_and_write(&request(vec![dir.path().join("nope.toml")], &out)).unwrap_err();
    assert!(matches!(e, PipelineError::Run(_)), "{e:?}");
    let f = yieldlab::cli::Failure::from(e);
    assert_eq!(f.code(), 2, "{}", f.message());
    assert!(!out.exists(), "nothing written on bad input");
}

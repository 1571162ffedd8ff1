//! Inputs the fuzzers (fuzz/, cargo-fuzz) found crashing, run through the same entry
//! points and checks as the fuzz targets. Each file in fuzz/regressions/<target>/ is a
//! case; a new finding is fixed and its file added there.

mod common;

use std::path::PathBuf;

fn cases(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = common::repo().join("fuzz/regressions").join(target);
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn quote_findings_answer_with_errors() {
    let found = cases("quote");
    assert!(!found.is_empty());
    for (path, data) in found {
        let mut out = Vec::new();
        yieldlab::quote::run(data.as_slice(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v.is_object(), "{}: {line}", path.display());
        }
    }
    // The first finding: a coin index outside a 3-coin pool (it indexed out of bounds).
    let answer = yieldlab::quote::answer(
        r#"{"op":"stableswap.exchange","balances":[1000000,1000000,1000000],"amp":1000,"fee":0.0004,"admin_fee":0.5,"i":8,"j":1,"dx":1000}"#,
    );
    assert_eq!(
        answer["error"], "i must be a coin index of the pool, got 8",
        "{answer}"
    );
}

#[test]
fn strategy_findings_are_refused_without_allocating() {
    let found = cases("strategy");
    assert!(!found.is_empty());
    for (path, data) in found {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        // The first finding: log_steps = 88888888888888884 made a vector of that many
        // values before the run limit was checked (out of memory).
        match yieldlab::batch::parse_runs(text, &path, 1_000) {
            Ok(runs) => {
                for r in runs {
                    r.spec.params.build().unwrap();
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn loader_findings_load_or_fail_cleanly() {
    for (path, data) in cases("loader") {
        let (manifest, csv) = match data.windows(5).position(|w| w == b"----\n") {
            Some(p) => (&data[..p], &data[p + 5..]),
            None => (&data[..], &b""[..]),
        };
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("manifest.toml");
        std::fs::write(&m, manifest).unwrap();
        std::fs::write(dir.path().join("a.csv"), csv).unwrap();
        if let Ok(ds) = yieldlab::data::Dataset::load(&m, None) {
            let grid = yieldlab::data::GridSpec {
                step: Some(3600),
                start: None,
                end: None,
            };
            let _ = yieldlab::data::build_market(&ds, &Default::default(), &grid);
        }
        eprintln!("{}: ok", path.display());
    }
}

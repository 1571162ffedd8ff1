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
        // The first finding: log_steps = 88888888888888884 made a vector of that many
        // values before the run limit was checked (out of memory).
        let text = String::from_utf8_lossy(&data);
        let err = yieldlab::batch::parse_runs(&text, &path, 1_000)
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", path.display()));
        assert!(
            err.to_string().contains("over the limit of 1000 runs"),
            "{}: {err}",
            path.display()
        );
    }
}

/// Loads a fuzz input (a manifest, a line `----`, a CSV file) as the `loader` target does.
fn load(data: &[u8]) -> Result<(), String> {
    let (manifest, csv) = match data.windows(5).position(|w| w == b"----\n") {
        Some(p) => (&data[..p], &data[p + 5..]),
        None => (data, &b""[..]),
    };
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("manifest.toml");
    std::fs::write(&m, manifest).unwrap();
    std::fs::write(dir.path().join("a.csv"), csv).unwrap();
    let ds = yieldlab::data::Dataset::load(&m, None).map_err(|e| e.to_string())?;
    let grid = yieldlab::data::GridSpec {
        step: Some(3600),
        start: None,
        end: None,
    };
    yieldlab::data::build_market(&ds, &Default::default(), &grid)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn loader_seeds_and_findings_load_or_fail_cleanly() {
    // No loader finding yet (1.28 M executions); the seeds go through the same path, and
    // the first one is a valid dataset.
    let inputs = seeds_and_cases("loader");
    let first = common::repo().join("fuzz/seeds/loader/seed1");
    assert_eq!(
        load(&std::fs::read(&first).unwrap()),
        Ok(()),
        "{}",
        first.display()
    );
    for (path, data) in inputs {
        if let Err(e) = load(&data) {
            assert!(!e.is_empty(), "{}", path.display());
        }
    }
}

/// Seeds and findings of a target, findings first.
fn seeds_and_cases(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut inputs = cases(target);
    let dir = common::repo().join("fuzz/seeds").join(target);
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "{target}: no seeds");
    inputs.extend(seeds.into_iter().map(|p| {
        let d = std::fs::read(&p).unwrap();
        (p, d)
    }));
    inputs
}

/// Plans and runs a fuzz input (manifest `----` CSV `----` strategy) as the `run`
/// target does; returns how many runs finished.
fn plan_and_run(data: &[u8]) -> Result<usize, String> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    for _ in 0..2 {
        let p = rest
            .windows(5)
            .position(|w| w == b"----\n")
            .ok_or("not three parts")?;
        parts.push(&rest[..p]);
        rest = &rest[p + 5..];
    }
    parts.push(rest);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.toml"), parts[0]).unwrap();
    std::fs::write(dir.path().join("a.csv"), parts[1]).unwrap();
    let s = dir.path().join("s.toml");
    std::fs::write(&s, parts[2]).unwrap();
    let opts = yieldlab::batch::BatchOptions {
        max_runs: 20,
        progress: yieldlab::batch::progress::Progress::Off,
        ..Default::default()
    };
    let plan = yieldlab::batch::plan(&[s], &opts).map_err(|e| e.to_string())?;
    let mut done = 0;
    plan.run_records(false, true, &yieldlab::report::Rows, |_, output| {
        if let Some(o) = output {
            assert!(o.result.final_value().is_finite());
            done += 1;
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(done)
}

#[test]
fn run_seeds_and_findings_run_or_fail_cleanly() {
    let inputs = seeds_and_cases("run");
    // The seeds are valid: each runs to the end.
    let mut ran = 0;
    for (path, data) in inputs {
        match plan_and_run(&data) {
            Ok(n) => ran += n,
            Err(e) => assert!(!e.is_empty(), "{}", path.display()),
        }
    }
    assert!(ran >= 3, "the three seeds run: {ran}");
}

#[test]
fn expand_seeds_and_findings_stay_within_the_limit() {
    for (path, data) in seeds_and_cases("expand") {
        let text = String::from_utf8_lossy(&data);
        match yieldlab::batch::sweep::expand(&text, &path, 1_000) {
            Ok(v) => assert!(v.len() <= 1_000, "{}", path.display()),
            Err(e) => assert!(!e.is_empty(), "{}", path.display()),
        }
    }
}

//! Interruption and reuse: a run killed (SIGKILL) at any moment leaves no incomplete
//! file under a final name; started again it finishes only what is missing, from the run
//! cache, and writes the same bytes as an uninterrupted run; a cache is never used across
//! a change of strategy, data or build; an existing report is not replaced without --force.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn strategy(dir: &Path, name: &str, extra: &str, data: &Path) -> PathBuf {
    strategy_to(dir, name, extra, data, "2022-12-31")
}

fn strategy_to(dir: &Path, name: &str, extra: &str, data: &Path, end: &str) -> PathBuf {
    let body = format!(
        "data = {:?}\ncapital_usd = 10000\nstart = \"2022-01-01\"\nend = \"{end}\"\n\
         [strategy]\nkind = \"autocompound\"\npool = \"farm_weth_v2\"\nharvest = \"interval\"\ninterval = \"1d\"\n\
         [vault]\npreset = \"beefy\"\n{extra}",
        data.join("manifest.toml").to_str().unwrap()
    );
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const SWEEP: &str = "[sweep]\n\"strategy.interval\" = [\"1h\", \"4h\", \"1d\", \"7d\", \"30d\"]\ncapital_usd = { from = 1000, to = 1000000, log_steps = 4 }\n";

fn yl(args: &[&str]) -> common::Run {
    common::yieldlab(args, &common::repo())
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under a final name (not a dot-file) in `dir` is complete: CSV tables
/// parse with a constant width and end with a newline, summary tables have one row per
/// run, Parquet files read with as many rows as their CSV, PNG files end with their
/// IEND chunk, SVG and HTML with their closing tags.
fn assert_complete(dir: &Path, runs: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            assert_complete(&path, runs);
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let ctx = format!("{} ({} bytes)", path.display(), bytes.len());
        assert!(!bytes.is_empty(), "{ctx}: empty");
        if name.ends_with(".csv") {
            assert_eq!(bytes.last(), Some(&b'\n'), "{ctx}: no final newline");
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let width = r.headers().unwrap().len();
            let mut rows = 0;
            for rec in r.records() {
                let rec = rec.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(rec.len(), width, "{ctx}: a short row");
                rows += 1;
            }
            if name.starts_with("summary") {
                assert_eq!(rows, runs, "{ctx}: a summary without every run");
            }
            let pq = path.with_extension("parquet");
            if pq.exists() {
                use polars::prelude::*;
                let f = std::fs::File::open(&pq).unwrap();
                let df = ParquetReader::new(f)
                    .finish()
                    .unwrap_or_else(|e| panic!("{}: {e}", pq.display()));
                // Runs are deterministic, so a Parquet table (from this start or an
                // earlier one) has as many rows as its CSV.
                assert_eq!(df.height(), rows, "{}: rows", pq.display());
            }
        } else if name.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{ctx}: not a PNG");
            assert!(
                bytes.ends_with(b"IEND\xaeB`\x82"),
                "{ctx}: PNG without its IEND chunk"
            );
        } else if name.ends_with(".svg") {
            assert!(
                String::from_utf8_lossy(&bytes)
                    .trim_end()
                    .ends_with("</svg>"),
                "{ctx}: SVG cut short"
            );
        } else if name.ends_with(".html") {
            assert!(
                String::from_utf8_lossy(&bytes)
                    .trim_end()
                    .ends_with("</html>"),
                "{ctx}: HTML cut short"
            );
        } else if name == "schema.md" {
            assert_eq!(bytes, yieldlab::report::SCHEMA.as_bytes(), "{ctx}");
        }
    }
}

/// Every file (recursively) except the cache and temporaries, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn killed_runs_leave_only_complete_files_and_resume_to_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo().join("data");
    let f = strategy_to(dir.path(), "sweep.toml", SWEEP, &data, "2022-06-30");
    let runs = 20;
    let reference = dir.path().join("reference");
    let args = |out: &Path, force: bool| {
        let mut v: Vec<String> = ["compare", arg(&f), "--out", arg(out), "--progress", "off"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--parquet", "--series", "best:3"].map(String::from));
        if force {
            v.push("--force".into());
        }
        v
    };
    let started = Instant::now();
    let a: Vec<String> = args(&reference, false);
    let r = yl(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let whole = started.elapsed();
    assert!(
        r.stdout.contains(&format!("wrote {runs} run(s)")),
        "{}",
        r.stdout
    );
    assert_complete(&reference, runs);

    // Kill a run at growing fractions of an uninterrupted run's time; each start
    // resumes from the cache, so later kills land ever later, down to the final writes.
    let out = dir.path().join("killed");
    let mut kills = 0;
    let mut finished = false;
    for frac in [
        0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95, 1.0, 1.1, 1.3, 1.6, 2.0,
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yieldlab"))
            .args(args(&out, true))
            .current_dir(common::repo())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let wait = whole.mul_f64(frac * 0.5);
        let t = Instant::now();
        let mut status = None;
        while t.elapsed() < wait {
            if let Some(s) = child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        match status {
            Some(s) => {
                assert!(s.success(), "run ended with {s}");
                finished = true;
            }
            None => {
                child.kill().unwrap(); // SIGKILL on Unix
                child.wait().unwrap();
                kills += 1;
                let present: Vec<String> = files(&out).into_iter().map(|f| f.0).collect();
                eprintln!(
                    "killed after {:?}: {} files present",
                    t.elapsed(),
                    present.len()
                );
            }
        }
        assert_complete(&out, runs);
        if finished {
            break;
        }
    }
    assert!(kills >= 3, "only {kills} kills landed");
    if !finished {
        let a = args(&out, true);
        let r = yl(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_complete(&out, runs);
    let (x, y) = (files(&reference), files(&out));
    assert_eq!(
        x.iter().map(|f| &f.0).collect::<Vec<_>>(),
        y.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (a, b) in x.iter().zip(&y) {
        assert!(a.1 == b.1, "{} differs after resuming", a.0);
    }
    // Started again, everything comes from the cache.
    let a = args(&out, true);
    let r = yl(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        r.stdout
            .contains(&format!("({runs} read from the run cache)")),
        "{}",
        r.stdout
    );
    assert_eq!(files(&out), x);
}

fn cached(stdout: &str) -> usize {
    stdout
        .split(" read from the run cache")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_cache_is_never_used_across_a_change_of_strategy_or_data() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the embedded data, so that one value can be changed.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for e in std::fs::read_dir(common::repo().join("data"))
        .unwrap()
        .flatten()
    {
        if e.path().is_file() {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    let sweep = "[sweep]\n\"strategy.interval\" = [\"1d\", \"7d\"]\ncapital_usd = [1000, 100000]\n";
    let f = strategy(dir.path(), "s.toml", sweep, &data);
    let out = dir.path().join("out");
    let run = || {
        yl(&[
            "run",
            arg(&f),
            "--out",
            arg(&out),
            "--progress",
            "off",
            "--force",
            "--series",
            "none",
        ])
    };
    let first = run();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(cached(&first.stdout), 0);
    let summary = std::fs::read(out.join("summary.csv")).unwrap();
    let again = run();
    assert_eq!(cached(&again.stdout), 4, "{}", again.stdout);
    assert_eq!(std::fs::read(out.join("summary.csv")).unwrap(), summary);

    // One swept value changed: only its runs are made again.
    let sweep2 =
        "[sweep]\n\"strategy.interval\" = [\"1d\", \"3d\"]\ncapital_usd = [1000, 100000]\n";
    strategy(dir.path(), "s.toml", sweep2, &data);
    let changed = run();
    assert_eq!(cached(&changed.stdout), 2, "{}", changed.stdout);
    assert_ne!(std::fs::read(out.join("summary.csv")).unwrap(), summary);

    // One hour's volume in the data changed by 1 %: nothing may come from the cache.
    let before = cached(&run().stdout);
    assert_eq!(before, 4);
    let pools = data.join("pool_farm_weth_v2.csv");
    let text = std::fs::read_to_string(&pools).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let vol = header.iter().position(|c| *c == "volume_usd").unwrap();
    // The volume of 2022-03-01 00:00 UTC.
    let row = lines
        .iter()
        .position(|l| l.starts_with("1646092800,"))
        .expect("a row at 2022-03-01");
    let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
    let v: f64 = cells[vol].parse().unwrap();
    cells[vol] = format!("{:.2}", v * 1.01 + 1.0);
    lines[row] = cells.join(",");
    std::fs::write(&pools, lines.join("\n") + "\n").unwrap();
    let after = run();
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert_eq!(cached(&after.stdout), 0, "{}", after.stdout);
}

#[test]
fn a_new_build_does_not_read_an_old_cache() {
    use yieldlab::batch::{cache::RunCache, plan, BatchOptions};
    let dir = tempfile::tempdir().unwrap();
    let sweep = "[sweep]\ncapital_usd = [1000, 100000]\n";
    let f = strategy(dir.path(), "s.toml", sweep, &common::repo().join("data"));
    let count = |build: &str| {
        let mut p = plan(std::slice::from_ref(&f), &BatchOptions::default()).unwrap();
        p.use_cache(
            RunCache::open(dir.path(), "").unwrap(),
            build.to_string(),
            dir.path().into(),
        );
        let mut rows = Vec::new();
        p.run_records(false, false, &yieldlab::report::Rows, |r, _| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
        (p.cache_hits(), rows)
    };
    let (h1, a) = count("0.1.0+aaaa");
    let (h2, b) = count("0.1.0+aaaa");
    let (h3, c) = count("0.2.0+aaaa");
    let (h4, _) = count("0.1.0+bbbb");
    assert_eq!((h1, h2, h3, h4), (0, 2, 0, 0));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn an_existing_report_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let lend = common::repo().join("strategies/lend.toml");
    let first = yl(&["run", arg(&lend), "--out", arg(&out), "--quiet"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = std::fs::read(out.join("summary.csv")).unwrap();
    let second = yl(&["run", arg(&lend), "--out", arg(&out), "--quiet"]);
    assert_eq!(second.code, 2);
    assert!(
        second
            .stderr
            .contains("already holds an output (summary.csv)")
            && second.stderr.contains("--force"),
        "{}",
        second.stderr
    );
    assert_eq!(std::fs::read(out.join("summary.csv")).unwrap(), before);
    // A shard writes its own part files, so shards share a folder.
    let s0 = yl(&[
        "run",
        arg(&lend),
        "--out",
        arg(&out),
        "--quiet",
        "--shard",
        "0/2",
    ]);
    assert_eq!(s0.code, 0, "{}", s0.stderr);
    let forced = yl(&["run", arg(&lend), "--out", arg(&out), "--quiet", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
}

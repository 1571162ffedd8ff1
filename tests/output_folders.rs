//! Output folders are ours alone and written all or nothing: a folder holding files
//! yieldlab did not write is refused (and with --force they are kept); a shard never
//! replaces another report's runs.txt; run names that differ give different files; a
//! write that fails half way (a full disk) leaves the folder as it was, for reports
//! and for `data synth`; two writers of one folder are serialised by a lock.

mod common;

use std::path::{Path, PathBuf};

fn yl(args: &[&str]) -> common::Run {
    common::yieldlab(args, &common::repo())
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn strategy(dir: &Path, name: &str) -> PathBuf {
    strategy_of(
        dir,
        name,
        "kind = \"lend\"\nmarket = \"usdc_lending\"\nasset = \"USDC\"",
    )
}

fn strategy_of(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let body = format!(
        "data = {:?}\ncapital_usd = 10000\nstart = \"2022-01-01\"\nend = \"2022-03-01\"\n\
         [strategy]\n{kind}\n",
        arg(&common::repo().join("data/manifest.toml"))
    );
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    p
}

/// Every file under `dir`, relative, with its bytes (private `.yieldlab-*` entries left out).
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel.starts_with(".yieldlab-") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_folder_with_files_of_someone_else_is_refused_and_force_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = strategy(dir.path(), "s.toml");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("charts")).unwrap();
    std::fs::write(out.join("charts/my_diagram.svg"), "<svg/>").unwrap();
    let r = yl(&["compare", arg(&s), "--out", arg(&out), "--quiet"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("charts/my_diagram.svg") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(
        tree(&out).len(),
        1,
        "nothing written beside a refused folder"
    );
    let forced = yl(&["compare", arg(&s), "--out", arg(&out), "--quiet", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    // Replaced again (its own stale charts removed), the foreign file stays.
    let again = yl(&["compare", arg(&s), "--out", arg(&out), "--quiet", "--force"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read(out.join("charts/my_diagram.svg")).unwrap(),
        b"<svg/>"
    );
    assert!(out.join("report.html").is_file());
    // A file of someone else under a name a report writes is never replaced.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("summary.csv"), "mine").unwrap();
    let r = yl(&["run", arg(&s), "--out", arg(&theirs), "--quiet", "--force"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("summary.csv"), "{}", r.stderr);
    assert_eq!(std::fs::read(theirs.join("summary.csv")).unwrap(), b"mine");
}

#[test]
fn an_out_that_is_a_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let s = strategy(dir.path(), "s.toml");
    let file = dir.path().join("plain.txt");
    std::fs::write(&file, "x").unwrap();
    let r = yl(&["run", arg(&s), "--out", arg(&file), "--quiet"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is a file, not a folder"), "{}", r.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn a_shard_does_not_replace_the_runs_list_of_another_report() {
    let dir = tempfile::tempdir().unwrap();
    let a = strategy(dir.path(), "a.toml");
    let b = strategy(dir.path(), "b.toml");
    let out = dir.path().join("out");
    let r = yl(&["compare", arg(&a), "--out", arg(&out), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let runs = std::fs::read(out.join("runs.txt")).unwrap();
    let r = yl(&[
        "run",
        arg(&b),
        "--out",
        arg(&out),
        "--quiet",
        "--shard",
        "0/1",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("runs.txt"), "{}", r.stderr);
    assert_eq!(std::fs::read(out.join("runs.txt")).unwrap(), runs);
    assert!(!out.join("summary.part-0-of-1.csv").exists());
    // The shards of the same files share the folder.
    let r = yl(&[
        "run",
        arg(&a),
        "--out",
        arg(&out),
        "--quiet",
        "--shard",
        "0/1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.join("summary.part-0-of-1.csv").is_file());
}

#[test]
fn runs_with_different_names_write_different_files() {
    let dir = tempfile::tempdir().unwrap();
    let lp = "kind = \"lp\"\npool = \"weth_usdc_v2\"";
    let alpha = strategy_of(dir.path(), "α.toml", lp);
    let beta = strategy_of(dir.path(), "β.toml", lp);
    let s1 = strategy_of(dir.path(), "one/s.toml", lp);
    let s2 = strategy_of(dir.path(), "two/s.toml", lp);
    let out = dir.path().join("out");
    let r = yl(&[
        "compare",
        arg(&alpha),
        arg(&beta),
        arg(&s1),
        arg(&s2),
        "--out",
        arg(&out),
        "--quiet",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let names: Vec<&str> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(names, ["α", "β", "one/s", "two/s"], "{summary}");
    let charts: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("il_vs_fees_") && n.ends_with(".svg"))
        .collect();
    assert_eq!(charts.len(), 4, "one IL chart per run: {charts:?}");
    for c in &charts {
        assert!(c.is_ascii(), "{c}");
    }
}

/// A tmpfs of `size` mounted at a new folder, or None (with a message) where this
/// machine does not allow it.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> Option<(tempfile::TempDir, SmallDisk)> {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("disk");
        std::fs::create_dir_all(&at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("SKIPPED: cannot mount a small tmpfs here (needs root); the full-disk cases did not run");
            return None;
        }
        Some((dir, SmallDisk(at)))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_leaves_the_earlier_report_and_dataset_as_they_were() {
    let Some((_keep, disk)) = SmallDisk::mount("1500k") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = strategy(dir.path(), "s.toml");
    let out = disk.0.join("report");
    let first = yl(&["run", arg(&s), "--out", arg(&out), "--quiet"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = tree(&out);
    // A sweep of many runs over three years needs far more than the disk has left.
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        format!(
            "data = {:?}\ncapital_usd = 10000\n[strategy]\nkind = \"lp\"\npool = \"weth_usdc_v2\"\n\
             [sweep]\ncapital_usd = [1000, 2000, 3000, 4000, 5000, 6000]\n",
            arg(&common::repo().join("data/manifest.toml"))
        ),
    )
    .unwrap();
    let r = yl(&["run", arg(&big), "--out", arg(&out), "--quiet", "--force"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("No space left"), "{}", r.stderr);
    assert_eq!(tree(&out), before, "the earlier report is whole and alone");
    let staging = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("staging"))
        .count();
    assert_eq!(staging, 0, "no staging folder left behind");
    // The next run is not refused: nothing of the failed one is under a final name.
    let again = yl(&["run", arg(&s), "--out", arg(&out), "--quiet", "--force"]);
    assert_eq!(again.code, 0, "{}", again.stderr);

    // data synth: a dataset of one seed, then a bigger one of another seed that does
    // not fit. The first stays whole (data check still reads it, one seed).
    let data = disk.0.join("data");
    let small = yl(&[
        "data",
        "synth",
        "--out",
        arg(&data),
        "--seed",
        "1",
        "--days",
        "10",
    ]);
    assert_eq!(small.code, 0, "{}", small.stderr);
    let before = tree(&data);
    let big = yl(&[
        "data",
        "synth",
        "--out",
        arg(&data),
        "--seed",
        "2",
        "--days",
        "400",
    ]);
    assert_eq!(big.code, 1, "{}", big.stderr);
    assert_eq!(tree(&data), before, "the first dataset is whole");
}

#[test]
fn two_writers_of_one_folder_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let s = strategy(dir.path(), "s.toml");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Another writer holds the folder's run lock.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".yieldlab-lock.run"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yieldlab"))
        .args(["run", arg(&s), "--out", arg(&out), "--quiet"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // It waits (says so) and writes nothing while the other holds the lock.
    let mut waited = 0;
    while child.try_wait().unwrap().is_none() && waited < 30 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the second writer did not wait for the lock"
    );
    assert!(!out.join("summary.csv").exists());
    lock.unlock().unwrap();
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("waiting: another yieldlab is writing"),
        "{stderr}"
    );
    assert!(out.join("summary.csv").is_file());
}

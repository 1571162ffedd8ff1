//! Command-line conventions: bare `yieldlab` is help on stdout (exit 0); completions for
//! bash, zsh and fish; `--data-root` on every command (`--data` still works, with a
//! note); progress as plain lines outside a terminal, through the final writes, and
//! none with `--progress off` or `--quiet`; `--quiet` prints nothing on success.

mod common;

use std::path::Path;

fn yl(args: &[&str]) -> common::Run {
    common::yieldlab(args, &common::repo())
}

#[test]
fn bare_yieldlab_prints_help_on_stdout() {
    let r = yl(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Usage: yieldlab"), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn completions_for_three_shells() {
    for (shell, marker) in [
        ("bash", "_yieldlab()"),
        ("zsh", "#compdef yieldlab"),
        ("fish", "complete -c yieldlab"),
    ] {
        let r = yl(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(
            r.stdout.contains(marker),
            "{shell}: {}",
            &r.stdout[..r.stdout.len().min(200)]
        );
        assert!(r.stdout.contains("data-root"), "{shell}");
    }
    assert_eq!(yl(&["completions", "tcsh"]).code, 2);
}

fn run_with_env(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yieldlab"))
        .args(args)
        .current_dir(cwd)
        .env("YIELDLAB_PROGRESS_EVERY", "0")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn data_root_and_progress_lines() {
    let dir = tempfile::tempdir().unwrap();
    let repo = common::repo();
    let s = repo.join("strategies/lend.toml");
    let data = repo.join("data");
    let out = dir.path().join("a");
    let (code, err, _) = run_with_env(
        &[
            "run",
            s.to_str().unwrap(),
            "--data-root",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--progress",
            "lines",
        ],
        &repo,
    );
    assert_eq!(code, 0, "{err}");
    for line in [
        "progress: 0/1 runs",
        "progress: 1/1 runs done in",
        "progress: writing the report to",
        "progress: report complete in",
    ] {
        assert!(err.contains(line), "{line:?} missing from:\n{err}");
    }
    assert!(!err.contains("deprecated"), "{err}");
    // The old flag still works and says it is old; --quiet and --progress off are silent.
    for (extra, flag) in [
        (&["--quiet"][..], "--data"),
        (&["--progress", "off"][..], "--data"),
    ] {
        let out = dir.path().join(format!("b{}", extra.len()));
        let mut args = vec![
            "run",
            s.to_str().unwrap(),
            flag,
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (code, err, stdout) = run_with_env(&args, &repo);
        assert_eq!(code, 0, "{err}");
        // --quiet prints nothing on success; --progress off still prints the summary.
        assert_eq!(
            stdout.is_empty(),
            extra == ["--quiet"],
            "{extra:?}: {stdout}"
        );
        assert!(
            err.contains("--data is deprecated; use --data-root"),
            "{err}"
        );
        assert!(!err.contains("progress:"), "{extra:?}: {err}");
    }
    let r = yl(&["run", s.to_str().unwrap(), "--progress", "loud"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--progress"), "{}", r.stderr);
}

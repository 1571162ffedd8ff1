//! Every shipped strategy file runs, its summary matches the stored golden file
//! (regenerate with `UPDATE_GOLDEN=1 cargo test --test strategies` and review the
//! diff), and its attribution identity closes at every step.

mod common;

use std::path::{Path, PathBuf};

use yieldlab::batch::run_files;
use yieldlab::report;
use yieldlab::run::RunOutput;
use yieldlab::strategy::StrategyParams;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

fn check_golden(outputs: &[RunOutput], golden_dir: &Path) {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    std::fs::create_dir_all(golden_dir).unwrap();
    for o in outputs {
        let r = &o.result;
        assert!(
            r.max_identity_error <= 1e-9 * r.capital,
            "{}: attribution identity off by {} USD",
            o.spec.name,
            r.max_identity_error
        );
        let text =
            String::from_utf8(report::summary_csv(std::slice::from_ref(o)).unwrap()).unwrap();
        let path = golden_dir.join(format!("{}.csv", o.spec.name));
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "no golden file {}; create it with UPDATE_GOLDEN=1",
                path.display()
            )
        });
        assert_eq!(
            text,
            stored,
            "{}: summary differs from {}; if the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff",
            o.spec.name,
            path.display()
        );
    }
    // No golden file outlives its strategy file.
    let names: std::collections::BTreeSet<String> = outputs
        .iter()
        .map(|o| format!("{}.csv", o.spec.name))
        .collect();
    let stored: std::collections::BTreeSet<String> = std::fs::read_dir(golden_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    assert_eq!(stored, names, "golden files of {}", golden_dir.display());
}

#[test]
fn shipped_strategies_match_their_golden_summaries() {
    // Every file of strategies/ (a file without its golden summary fails), and every
    // kind has at least one.
    let paths = files(&common::repo().join("strategies"));
    let outputs = run_files(&paths, None).unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        outputs.iter().map(|o| o.spec.params.kind()).collect();
    // (`custom` is run through the library: examples/, tests/extending.rs.)
    let all: std::collections::BTreeSet<&str> = StrategyParams::KINDS
        .iter()
        .copied()
        .filter(|k| *k != "custom")
        .collect();
    assert_eq!(kinds, all, "a shipped file for every kind");
    check_golden(&outputs, &common::repo().join("tests/golden"));
}

#[test]
fn strategies_run_on_the_real_datasets() {
    let Some(root) = common::shared_data() else {
        return;
    };
    let paths = files(&common::repo().join("strategies/shared"));
    let outputs = run_files(&paths, Some(&root)).unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        outputs.iter().map(|o| o.spec.params.kind()).collect();
    assert_eq!(
        kinds.len(),
        StrategyParams::KINDS.len() - 1,
        "every kind but custom runs on real data: {kinds:?}"
    );
    check_golden(&outputs, &common::repo().join("tests/golden/shared"));
}

#[test]
fn runs_are_deterministic() {
    let paths = files(&common::repo().join("strategies"));
    let a = run_files(&paths, None).unwrap();
    let b = run_files(&paths, None).unwrap();
    assert_eq!(
        report::summary_csv(&a).unwrap(),
        report::summary_csv(&b).unwrap()
    );
    assert_eq!(
        report::events_csv(&a).unwrap(),
        report::events_csv(&b).unwrap()
    );
    assert_eq!(
        report::timeseries_csv(&a).unwrap(),
        report::timeseries_csv(&b).unwrap()
    );
}

#[test]
fn run_command_writes_the_report_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rep");
    let run = common::yieldlab(
        &[
            "run",
            "strategies/hodl.toml",
            "strategies/lend.toml",
            "--out",
            out.to_str().unwrap(),
        ],
        &common::repo(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wrote 2 run(s)"));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3);
    assert!(summary.starts_with("run,run_index,kind,dataset,start,end,"));
    let series = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(series.lines().count() > 2 * 26_000);
    assert!(series
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("hodl,2022-01-01T00:00:00Z,100000.0,100000.0,"));
    // Money and ratio cells always carry a decimal point (0.0, not 0), so that readers
    // inferring types get floats for every such column.
    for line in series.lines().skip(1).take(50) {
        let cells: Vec<&str> = line.split(',').collect();
        for c in &cells[2..cells.len() - 1] {
            assert!(c.contains('.') || c.contains("NaN"), "{c} in {line}");
        }
    }
    assert!(out.join("runs.txt").is_file() && out.join("schema.md").is_file());
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.contains("lend,0,2022-01-01T00:00:00Z,deposit,usdc_lending"));
}

#[test]
fn bad_strategy_files_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let data = common::repo().join("data/manifest.toml");
    let head = format!("data = {:?}\ncapital_usd = 1000\n", data.to_str().unwrap());
    let cases = [
        ("unknown_key.toml", format!("{head}colour = 1\n[strategy]\nkind = \"lend\"\nmarket = \"usdc_lending\"\nasset = \"USDC\"\n"), "unknown field `colour`"),
        ("unknown_param.toml", format!("{head}[strategy]\nkind = \"lp\"\npool = \"weth_usdc_v2\"\nclaim = \"1d\"\n"), "unknown field `claim`"),
        ("negative_capital.toml", format!("data = {:?}\ncapital_usd = -5\n[strategy]\nkind = \"lend\"\nmarket = \"usdc_lending\"\nasset = \"USDC\"\n", data.to_str().unwrap()), "capital_usd = -5"),
        ("unknown_pool.toml", format!("{head}[strategy]\nkind = \"lp\"\npool = \"weth_usdc_v3\"\n"), "did you mean"),
        ("zero_interval.toml", format!("{head}[strategy]\nkind = \"autocompound\"\npool = \"farm_weth_v2\"\nharvest = \"interval\"\ninterval = \"0h\"\n"), "interval: duration '0h' must be positive"),
        ("wrong_kind.toml", format!("{head}[strategy]\nkind = \"range_lp\"\npool = \"weth_usdc_v2\"\nwidth_pct = 10\nrebalance = \"out_of_range\"\n"), "range_lp needs a concentrated pool"),
    ];
    for (name, body, needle) in cases {
        let path = write(name, &body);
        let run = common::yieldlab(
            &[
                "run",
                &path,
                "--out",
                dir.path().join("o").to_str().unwrap(),
            ],
            &common::repo(),
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{name}: expected {needle:?} in {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(name),
            "{name}: the file is named: {}",
            run.stderr
        );
    }
}

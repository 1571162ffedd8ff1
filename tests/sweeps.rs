//! Sweeps, windows, bootstrap samples, shards and thread counts: expansion reaches the
//! runner, output bytes do not depend on the number of threads, shards add up to the
//! whole, a bootstrap seed reproduces its samples, limits refuse what is too big.

mod common;

use std::path::Path;

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

fn header(data: &Path) -> String {
    format!(
        "data = {:?}\ncapital_usd = 10000\nstart = \"2022-01-01\"\nend = \"2022-06-30\"\ngrid = \"1d\"\n",
        data.join("data/manifest.toml").to_str().unwrap()
    )
}

fn run_with(threads: &str, args: &[&str]) -> common::Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yieldlab"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(common::repo())
        .output()
        .unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sweep_file(dir: &Path) -> String {
    let body = format!(
        "{}[strategy]\nkind = \"autocompound\"\npool = \"farm_weth_v2\"\nharvest = \"interval\"\ninterval = \"1d\"\n[vault]\npreset = \"beefy\"\n[sweep]\n\"strategy.interval\" = [\"1d\", \"7d\", \"30d\"]\ncapital_usd = {{ from = 1000, to = 100000, log_steps = 3 }}\n[sweep.zip]\n\"vault.others_usd\" = [0, 1000000]\n",
        header(&common::repo())
    );
    write(dir, "sweep.toml", &body)
}

#[test]
fn output_is_identical_on_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let f = sweep_file(dir.path());
    let a = dir.path().join("one");
    let b = dir.path().join("two");
    for (threads, out) in [("1", &a), ("2", &b)] {
        let r = run_with(
            threads,
            &[
                "run",
                &f,
                "--out",
                out.to_str().unwrap(),
                "--progress",
                "off",
                "--parquet",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("wrote 18 run(s)"), "{}", r.stdout);
    }
    for file in [
        "summary.csv",
        "timeseries.csv",
        "attribution.csv",
        "events.csv",
        "summary.parquet",
        "timeseries.parquet",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    let summary = std::fs::read_to_string(a.join("summary.csv")).unwrap();
    let head = summary.lines().next().unwrap();
    assert!(
        head.ends_with(
            ",spec_hash,error,param:capital_usd,param:strategy.interval,param_seconds:strategy.interval,param:vault.others_usd"
        ),
        "{head}"
    );
    let rows: Vec<&str> = summary.lines().skip(1).collect();
    assert_eq!(rows.len(), 18);
    assert!(rows[0].ends_with(",1000.0,1d,86400,0"), "{}", rows[0]);
    assert!(rows[1].ends_with(",1000.0,1d,86400,1000000"), "{}", rows[1]);
    assert!(
        rows[17].ends_with(",100000.0,30d,2592000,1000000"),
        "{}",
        rows[17]
    );
    // Sharing the vault with $1M of others makes harvest gas cheaper for us.
    let final_of = |r: &str| r.split(',').nth(9).unwrap().parse::<f64>().unwrap();
    assert!(final_of(rows[1]) > final_of(rows[0]));
}

#[test]
fn shards_add_up_to_the_whole_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let f = sweep_file(dir.path());
    let whole = dir.path().join("whole");
    let parts = dir.path().join("parts");
    assert_eq!(
        run_with(
            "2",
            &[
                "run",
                &f,
                "--out",
                whole.to_str().unwrap(),
                "--progress",
                "off",
                "--series",
                "none"
            ]
        )
        .code,
        0
    );
    for k in 0..3 {
        let shard = format!("{k}/3");
        let r = run_with(
            "2",
            &[
                "run",
                &f,
                "--out",
                parts.to_str().unwrap(),
                "--progress",
                "off",
                "--shard",
                &shard,
                "--parquet",
                "--series",
                "none",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("wrote 6 run(s) (shard of 18 runs)"),
            "{}",
            r.stdout
        );
    }
    // The parts' rows, ordered by run_index, are the single-machine summary.
    let whole_text = std::fs::read_to_string(whole.join("summary.csv")).unwrap();
    let mut rows: Vec<(usize, String)> = Vec::new();
    for k in 0..3 {
        let text =
            std::fs::read_to_string(parts.join(format!("summary.part-{k}-of-3.csv"))).unwrap();
        assert_eq!(
            text.lines().next(),
            whole_text.lines().next(),
            "same header"
        );
        for l in text.lines().skip(1) {
            rows.push((l.split(',').nth(1).unwrap().parse().unwrap(), l.to_string()));
        }
        assert!(parts
            .join(format!("summary.part-{k}-of-3.parquet"))
            .is_file());
    }
    rows.sort();
    let merged: Vec<String> = rows.into_iter().map(|r| r.1).collect();
    let expect: Vec<String> = whole_text.lines().skip(1).map(str::to_string).collect();
    assert_eq!(merged, expect);
    let bad = run_with(
        "2",
        &[
            "run",
            &f,
            "--out",
            parts.to_str().unwrap(),
            "--shard",
            "3/3",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("need 0 <= K < N"));
}

#[test]
fn windows_and_bootstrap_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}[strategy]\nkind = \"lp\"\npool = \"weth_usdc_v2\"\n[windows]\nevery = \"60d\"\nlength = \"90d\"\n[bootstrap]\nsamples = 4\nblock = \"7d\"\nseed = 11\n",
        header(&common::repo())
    );
    let f = write(dir.path(), "boot.toml", &body);
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert_eq!(
        run_with("2", &["run", &f, "--out", a.to_str().unwrap(), "--quiet"]).code,
        0
    );
    assert_eq!(
        run_with("1", &["run", &f, "--out", b.to_str().unwrap(), "--quiet"]).code,
        0
    );
    let sa = std::fs::read_to_string(a.join("summary.csv")).unwrap();
    assert_eq!(sa, std::fs::read_to_string(b.join("summary.csv")).unwrap());
    // 2022-01-01 + 90d fits at 0, 60 (window 120 would end after 06-30): 2 windows × 4 samples.
    let rows: Vec<&str> = sa.lines().skip(1).collect();
    assert_eq!(rows.len(), 8);
    assert!(sa
        .lines()
        .next()
        .unwrap()
        .ends_with("param:window,param:bootstrap"));
    assert!(
        rows[0].ends_with(",2022-01-01,0") && rows[7].ends_with(",2022-03-02,3"),
        "{}",
        rows[7]
    );
    // Percentiles over the 4 samples of each window.
    let dist = std::fs::read_to_string(a.join("distribution.csv")).unwrap();
    let lines: Vec<&str> = dist.lines().collect();
    assert_eq!(lines[0], "setting,metric,samples,p05,p25,p50,p75,p95");
    assert_eq!(lines.len(), 1 + 2 * 3);
    assert!(
        lines[1].starts_with("window=2022-01-01,apy,4,"),
        "{}",
        lines[1]
    );
    let q: Vec<f64> = lines[1]
        .split(',')
        .skip(3)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(
        q.windows(2).all(|w| w[0] <= w[1]),
        "percentiles are ordered: {q:?}"
    );
    // Different samples give different paths; the same seed gives the same ones.
    let finals: Vec<&str> = rows.iter().map(|r| r.split(',').nth(9).unwrap()).collect();
    assert_ne!(finals[0], finals[1]);
    let c = dir.path().join("c");
    std::fs::write(
        dir.path().join("boot2.toml"),
        body.replace("seed = 11", "seed = 12"),
    )
    .unwrap();
    assert_eq!(
        run_with(
            "2",
            &[
                "run",
                dir.path().join("boot2.toml").to_str().unwrap(),
                "--out",
                c.to_str().unwrap(),
                "--quiet"
            ]
        )
        .code,
        0
    );
    assert_ne!(sa, std::fs::read_to_string(c.join("summary.csv")).unwrap());
}

#[test]
fn series_policy_and_run_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = sweep_file(dir.path());
    let out = dir.path().join("best");
    let r = run_with(
        "2",
        &[
            "run",
            &f,
            "--out",
            out.to_str().unwrap(),
            "--progress",
            "off",
            "--series",
            "best:2",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let runs: std::collections::BTreeSet<&str> = ts
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 19);
    // best:N keeps the runs of the highest net APY (not the largest final values,
    // which in a sweep over capital are simply the largest capitals).
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let apy = header.iter().position(|c| *c == "apy").unwrap();
    let mut by_apy: Vec<(f64, String)> = summary
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[apy].parse().unwrap(), cells[0].to_string())
        })
        .collect();
    by_apy.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best: std::collections::BTreeSet<&str> = by_apy[..2].iter().map(|x| x.1.as_str()).collect();
    assert_eq!(runs, best);
    let big = run_with(
        "2",
        &[
            "run",
            &f,
            "--out",
            out.to_str().unwrap(),
            "--max-runs",
            "10",
        ],
    );
    assert_eq!(big.code, 2);
    assert!(
        big.stderr
            .contains("expands to 18 runs, over the limit of 10")
            && big.stderr.contains("--max-runs"),
        "{}",
        big.stderr
    );
    let bad = run_with(
        "2",
        &[
            "run",
            &f,
            "--out",
            out.to_str().unwrap(),
            "--series",
            "some",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("use all, none or best:N"));
}

#[test]
fn a_failed_run_is_reported_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut pool = String::from("timestamp,price,volume_usd,tvl_usd\n");
    for h in 0..24 {
        // One absurd print: no StableSwap state has that price.
        let p = if h == 10 { "1e24" } else { "1.0" };
        pool.push_str(&format!("{},{p},1000,1000000\n", 1_640_995_200 + h * 3600));
    }
    std::fs::write(dir.path().join("pool.csv"), pool).unwrap();
    std::fs::write(
        dir.path().join("usdt.csv"),
        "timestamp,price_usd\n1640995200,1.0\n1641078000,1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("manifest.toml"),
        "[dataset]\nname = \"bad\"\noutliers = \"keep\"\n[[pools]]\nid = \"st\"\nkind = \"stableswap\"\nchain = \"ethereum\"\ntokens = [\"USDC\", \"USDT\"]\nfee = 0.0001\namplification = 2000\n[[files]]\npath = \"pool.csv\"\nkind = \"pool\"\nid = \"st\"\ntimestamp = \"timestamp\"\ncolumns = { price = \"price\", volume_usd = \"volume_usd\", tvl_usd = \"tvl_usd\" }\n[[files]]\npath = \"usdt.csv\"\nkind = \"price\"\nid = \"USDT\"\ntimestamp = \"timestamp\"\ncolumns = { price_usd = \"price_usd\" }\nbar = \"1h\"\ncarry_limit = \"2d\"\n",
    )
    .unwrap();
    let f = write(
        dir.path(),
        "st.toml",
        "data = \"manifest.toml\"\ncapital_usd = 1000\nstart = \"2022-01-01\"\n[strategy]\nkind = \"stable_lp\"\npool = \"st\"\n[sweep]\nend = [\"2022-01-01T05:00:00Z\", \"2022-01-01T20:00:00Z\"]\n",
    );
    let out = dir.path().join("out");
    let r = run_with("2", &["run", &f, "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "one run succeeded: {}", r.stderr);
    assert!(
        r.stderr.contains("warning: 1 of 2 run(s) failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("step 10 (2022-01-01T10:00:00Z)") && r.stderr.contains("pool 'st'"),
        "{}",
        r.stderr
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let rows: Vec<&str> = summary.lines().collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[1].starts_with("st#0,0,stable_lp,bad,"), "{}", rows[1]);
    assert!(rows[2].starts_with("st#1,1,stable_lp,,"), "{}", rows[2]);
    assert!(
        rows[2].contains("no pool state has price 1e24"),
        "{}",
        rows[2]
    );
    // Every run failing is an error.
    let g = write(
        dir.path(),
        "st2.toml",
        &std::fs::read_to_string(&f)
            .unwrap()
            .replace("end = [\"2022-01-01T05:00:00Z\", ", "end = ["),
    );
    let r = run_with(
        "2",
        &[
            "run",
            &g,
            "--out",
            dir.path().join("o2").to_str().unwrap(),
            "--progress",
            "off",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("1 of 1 run(s) failed"), "{}", r.stderr);
}

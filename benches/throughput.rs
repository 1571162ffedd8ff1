//! End-to-end throughput through the real sweep path (expand → plan → parallel runs,
//! each formatting its summary record → rows in order), printing runs/s, run-steps/s, the 1 → 2 thread speed-up and peak
//! memory. Run: `cargo bench --bench throughput` (release). Set YIELDLAB_BENCH_RUNS to
//! shrink the autocompound sweep (default 10,000 runs).
//!
//! (a) one v3 range LP over 525,600 minute bars in the peer format (a year of minutes,
//!     written here as 365 per-day CSVs from a seeded random walk), loaded, aligned
//!     and run;
//! (b) an autocompound sweep (harvest interval × capital) over the embedded 3-year
//!     hourly market;
//! (c) a pool-hop sweep (window × hysteresis × top-k) over the 31-pool DefiLlama universe
//!     of ../shared/data (skipped where absent).

use std::path::{Path, PathBuf};
use std::time::Instant;

use yieldlab::batch::{plan, BatchOptions};
use yieldlab::run::SeriesPolicy;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs a sweep file with `threads` threads; returns (runs, run-steps, seconds).
fn measure(file: &Path, data_root: Option<&Path>, threads: usize) -> (usize, u64, f64) {
    let opts = BatchOptions {
        data_root: data_root.map(Path::to_path_buf),
        series: SeriesPolicy::None,
        ..BatchOptions::default()
    };
    let mut p = plan(&[file.to_path_buf()], &opts).expect("plan");
    p.set_light(true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let t = Instant::now();
    let mut runs = 0usize;
    let mut steps = 0u64;
    pool.install(|| {
        // The path `yieldlab run` takes: each worker runs and formats its run's record.
        p.run_records(false, false, &yieldlab::report::Rows, |r, _| {
            runs += 1;
            steps += r.summary[6].parse::<u64>().expect("steps column");
            std::hint::black_box(r.summary_row(&[]));
            Ok(())
        })
        .expect("runs")
    });
    (runs, steps, t.elapsed().as_secs_f64())
}

fn report(name: &str, file: &Path, root: Option<&Path>) {
    let (r1, s1, t1) = measure(file, root, 1);
    let (r2, s2, t2) = measure(file, root, 2);
    assert_eq!((r1, s1), (r2, s2));
    println!(
        "{name}: {r2} runs, {s2} run-steps; 1 thread {t1:.2} s ({:.1} runs/s, {:.2} M run-steps/s); 2 threads {t2:.2} s ({:.1} runs/s, {:.2} M run-steps/s); speed-up {:.2}x; peak RSS {:.0} MB",
        r1 as f64 / t1,
        s1 as f64 / t1 / 1e6,
        r2 as f64 / t2,
        s2 as f64 / t2 / 1e6,
        t1 / t2,
        peak_rss_mb()
    );
}

/// Writes a year of peer-format minute bars for a USDC/WETH pool and its manifest.
fn write_minutes(dir: &Path) -> PathBuf {
    use rand::{Rng, SeedableRng};
    let minutes = dir.join("minute");
    std::fs::create_dir_all(&minutes).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let start = 1_640_995_200i64;
    let mut tick = 200_311.0f64;
    for day in 0..365 {
        let mut text = String::from("timestamp,netAmount0,netAmount1,closeTick,openTick,lowestTick,highestTick,inAmount0,inAmount1,currentLiquidity\n");
        for m in 0..1440 {
            let t = start + (day * 1440 + m) * 60;
            let open = tick;
            // ~80 % a year of ETH volatility: 0.8/√525600 in log price ≈ 11 ticks a minute.
            tick += (rng.random::<f64>() - 0.5) * 38.0;
            let close = tick.round();
            let in0: u64 = rng.random_range(0..50_000_000_000);
            let in1: u128 = rng.random_range(0..25_000_000_000_000_000_000);
            let dt = yieldlab::units::format_ts(t)
                .replace('T', " ")
                .replace('Z', "");
            text.push_str(&format!(
                "{dt},0,0,{close}.0,{},{},{},{in0},{in1},446382924064782744\n",
                open.round(),
                open.min(close).round(),
                open.max(close).round()
            ));
        }
        std::fs::write(minutes.join(format!("pool-{day:03}.csv")), text).unwrap();
    }
    std::fs::write(
        dir.join("manifest.toml"),
        "[dataset]\nname = \"minutes\"\n[[pools]]\nid = \"usdc_weth\"\nkind = \"concentrated\"\nchain = \"polygon\"\ntokens = [\"USDC\", \"WETH\"]\ndecimals = [6, 18]\nfee = 0.0005\ntick_spacing = 10\n[[files]]\npath = \"minute\"\nkind = \"pool\"\nid = \"usdc_weth\"\nformat = \"peer_minute\"\nusd_token = 0\n",
    )
    .unwrap();
    let strategy = dir.join("range_minutes.toml");
    std::fs::write(
        &strategy,
        "data = \"manifest.toml\"\ncapital_usd = 100000\n[strategy]\nkind = \"range_lp\"\npool = \"usdc_weth\"\nwidth_pct = 5\nrebalance = \"out_of_range\"\nmin_interval = \"1h\"\n[assume]\nprice_usd = { USDC = 1.0 }\n",
    )
    .unwrap();
    strategy
}

fn bench_minutes(dir: &Path) {
    let strategy = write_minutes(dir);
    let t = Instant::now();
    let p = plan(&[strategy], &BatchOptions::default()).expect("plan");
    let load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = p.run(&p.jobs[0]).expect("run");
    let run = t.elapsed().as_secs_f64();
    let bars = out.result.grid.len();
    println!(
        "(a) range LP over {bars} minute bars (peer format, 365 files): load + align {load:.3} s, run {run:.3} s ({:.2} M bars/s, {:.0}x the peer's 3,600 bars/s), total {:.3} s ({:.0}x the peer); {} rebalances; peak RSS {:.0} MB",
        bars as f64 / run / 1e6,
        bars as f64 / run / 3_600.0,
        load + run,
        bars as f64 / (load + run) / 3_600.0,
        out.result.counts.rebalances,
        peak_rss_mb()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("yieldlab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // YIELDLAB_BENCH_ONLY=b (or a, c) runs one of the three.
    let only = std::env::var("YIELDLAB_BENCH_ONLY").unwrap_or_default();
    let want = |k: &str| only.is_empty() || only.contains(k);
    if want("a") {
        bench_minutes(&dir);
    }
    let runs: usize = std::env::var("YIELDLAB_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let side = (runs as f64).sqrt().round().max(1.0) as usize;
    let b = dir.join("autocompound_sweep.toml");
    let hours: Vec<String> = (1..=side).map(|h| format!("\"{h}h\"")).collect();
    std::fs::write(
        &b,
        format!(
            "data = {:?}\ncapital_usd = 10000\n[strategy]\nkind = \"autocompound\"\npool = \"farm_weth_v2\"\nharvest = \"interval\"\ninterval = \"1d\"\n[vault]\npreset = \"beefy\"\n[sweep]\n\"strategy.interval\" = [{}]\ncapital_usd = {{ from = 1000, to = 10000000, log_steps = {} }}\n",
            repo.join("data/manifest.toml").to_str().unwrap(),
            hours.join(", "),
            side.max(2)
        ),
    )
    .unwrap();
    if want("b") {
        report(
            &format!(
                "(b) autocompound sweep, {} runs × 3 years hourly",
                side * side.max(2)
            ),
            &b,
            None,
        );
    }

    let shared = std::env::var_os("YIELDLAB_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/data"));
    if !want("c") {
    } else if shared.join("SOURCES.md").is_file() {
        let c = dir.join("pool_hop_sweep.toml");
        let base = std::fs::read_to_string(repo.join("strategies/shared/pool_hop_defillama.toml"))
            .unwrap();
        let base = base
            .replace(
                "data = \"../../data/shared/manifest.toml\"",
                &format!(
                    "data = {:?}",
                    repo.join("data/shared/manifest.toml").to_str().unwrap()
                ),
            )
            .replace("data_root = \"../../../shared/data\"\n", "");
        std::fs::write(
            &c,
            format!("{base}\n[sweep]\n\"strategy.window\" = [\"3d\", \"7d\", \"14d\", \"30d\", \"60d\"]\n\"strategy.hysteresis\" = [0.0, 0.01, 0.02, 0.05, 0.1]\n\"strategy.top_k\" = [1, 2, 3]\n\"strategy.min_hold\" = [\"1d\", \"7d\", \"30d\"]\n"),
        )
        .unwrap();
        report(
            "(c) pool-hop sweep over DefiLlama yields, 225 runs × 3 years daily",
            &c,
            Some(&shared),
        );
    } else {
        println!("(c) skipped: {} not found", shared.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

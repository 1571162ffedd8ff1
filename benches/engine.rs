//! One run of each shipped strategy on the embedded 3-year hourly market (26,280 steps),
//! engine only: the market is built outside the timed part. Prints steps/s per kind.
//!
//! Run: `cargo bench --bench engine`

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use yieldlab::batch::market_for;
use yieldlab::data::Dataset;
use yieldlab::engine;
use yieldlab::strategy::RunSpec;

fn bench(c: &mut Criterion) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ds = Dataset::load(&repo.join("data/manifest.toml"), None).unwrap();
    let mut names: Vec<PathBuf> = std::fs::read_dir(repo.join("strategies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    for path in names {
        let spec = RunSpec::read(&path).unwrap();
        let (market, _) = market_for(&spec, &ds).unwrap();
        let steps = market.grid.len();
        let once = || {
            let mut s = spec.params.build().unwrap();
            engine::run(&market, s.as_mut(), spec.config.clone()).unwrap()
        };
        let t = Instant::now();
        let reps = 5;
        for _ in 0..reps {
            std::hint::black_box(once());
        }
        let secs = t.elapsed().as_secs_f64() / reps as f64;
        eprintln!(
            "{:<14} {steps} steps in {:.2} ms: {:.2} M steps/s",
            spec.name,
            secs * 1e3,
            steps as f64 / secs / 1e6
        );
        c.bench_function(
            &format!("engine run {} ({steps} hourly steps)", spec.name),
            |b| b.iter(once),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

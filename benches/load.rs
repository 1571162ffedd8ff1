//! Loading and aligning data: every shared real dataset (skipped with a message where
//! ../shared/data is absent) and the embedded 3-year hourly dataset, through the same
//! code `yieldlab data check` and the engine use.
//!
//! Run: `cargo bench --bench load`

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use yieldlab::data::align::{align_series, AlignReport};
use yieldlab::data::{build_market, Dataset, GridSpec, Selection};
use yieldlab::market::TimeGrid;
use yieldlab::units::HOUR;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Aligns every series onto an hourly grid over its own range; series with a gap
/// longer than their carry limit stop there (counted, as a run over them would).
fn align_all(ds: &Dataset) -> (usize, usize) {
    let (mut ok, mut refused) = (0, 0);
    for s in ds.series.values() {
        let start = (s.ts[0] + s.obs_offset).div_euclid(HOUR) * HOUR + HOUR;
        let end = *s.ts.last().unwrap() + s.obs_offset;
        let grid = TimeGrid::new(start, end - HOUR, HOUR);
        let mut report = AlignReport::default();
        match align_series(s, &grid, &mut report) {
            Ok(_) => ok += 1,
            Err(_) => refused += 1,
        }
    }
    (ok, refused)
}

fn bench(c: &mut Criterion) {
    let shared = std::env::var_os("YIELDLAB_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"));
    let manifest = repo().join("data/shared/manifest.toml");
    if shared.join("SOURCES.md").is_file() {
        let ds = Dataset::load(&manifest, Some(&shared)).unwrap();
        let (ok, refused) = align_all(&ds);
        eprintln!(
            "shared data: {} files, {} series; hourly alignment: {ok} aligned, {refused} refused at a gap",
            ds.files.len(),
            ds.series.len()
        );
        c.bench_function("load all shared data", |b| {
            b.iter(|| Dataset::load(&manifest, Some(&shared)).unwrap())
        });
        c.bench_function("load and align all shared data (hourly)", |b| {
            b.iter(|| {
                let ds = Dataset::load(&manifest, Some(&shared)).unwrap();
                align_all(&ds)
            })
        });
    } else {
        eprintln!(
            "SKIPPED shared-data benches: {} not found",
            shared.display()
        );
    }
    let embedded = repo().join("data/manifest.toml");
    c.bench_function("load and build the embedded 3-year hourly market", |b| {
        b.iter(|| {
            let ds = Dataset::load(Path::new(&embedded), None).unwrap();
            build_market(&ds, &Selection::default(), &GridSpec::default()).unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

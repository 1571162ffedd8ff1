//! The exact Uniswap v3 event replay (`amm::replay`) on the shared Arbitrum WETH/USDC
//! week: events per second through the real code path (checkpoints read, replay from the
//! first in-window checkpoint, each interval compared), events loaded outside the timed
//! part. Skipped with a message where ../shared/data is absent.
//!
//! Run: `cargo bench --bench replay`

use std::path::PathBuf;
use std::time::Instant;

use yieldlab::data::events::load_checkpoints;
use yieldlab::data::Dataset;
use yieldlab::validate::replay::replay_against;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = std::env::var_os("YIELDLAB_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/data"));
    if !shared.join("SOURCES.md").is_file() {
        eprintln!(
            "SKIPPED: the shared real datasets are not at {}",
            shared.display()
        );
        return;
    }
    let ds = Dataset::load(&repo.join("data/shared/manifest.toml"), Some(&shared))
        .expect("the shared manifest loads");
    for entry in &ds.events {
        let Some(cp) = &entry.checkpoints else {
            continue;
        };
        let t = Instant::now();
        let events = ds.load_events(&entry.pool).expect("events load");
        let cps = load_checkpoints(&ds.root, cp).expect("checkpoints load");
        let load = t.elapsed();
        let mut best = f64::INFINITY;
        let mut n = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = replay_against(&ds, &entry.pool, events.clone(), &cps).expect("replay");
            best = best.min(t.elapsed().as_secs_f64());
            n = r.events;
        }
        println!(
            "replay {}: {n} events in {:.3} s (best of 5) = {:.0} events/s; loading {} events and {} checkpoints {:.3} s",
            entry.pool,
            best,
            n as f64 / best,
            events.len(),
            cps.len(),
            load.as_secs_f64()
        );
    }
}

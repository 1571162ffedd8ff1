use yieldlab::data::*;
fn main() {
    let ds = Dataset::load(
        std::path::Path::new("data/shared/manifest.toml"),
        Some(std::path::Path::new("../shared/data")),
    )
    .unwrap();
    let t = std::time::Instant::now();
    for r in yieldlab::validate::replay::checkpoint_replays(&ds) {
        match r {
            Err(e) => println!("ERR {e}"),
            Ok(r) => {
                let exact0 = r
                    .intervals
                    .iter()
                    .filter(|i| i.onchain[0] == i.replayed[0])
                    .count();
                let exact1 = r
                    .intervals
                    .iter()
                    .filter(|i| i.onchain[1] == i.replayed[1])
                    .count();
                let both = r.intervals.iter().filter(|i| i.exact()).count();
                let sm = r.intervals.iter().filter(|i| i.state_matches).count();
                println!("{} events {} intervals {} exact0 {} exact1 {} both {} state {} swaps exact {} learned {} unresolved {} in {:?}", r.pool, r.events, r.intervals.len(), exact0, exact1, both, sm, r.swaps_exact, r.swaps_learned, r.swaps_unresolved, t.elapsed());
                for i in r.intervals.iter().filter(|i| !i.exact()).take(20) {
                    println!(
                        "  {}->{} {:.3e} {:.3e} unresolved {} {}",
                        i.from_block,
                        i.to_block,
                        i.error(0),
                        i.error(1),
                        i.unresolved,
                        i.explanation()
                    );
                }
            }
        }
    }
}

use yieldlab::amm::replay::range_fees;
use yieldlab::data::*;
fn main() {
    let ds = Dataset::load(
        std::path::Path::new("data/shared/manifest.toml"),
        Some(std::path::Path::new("../shared/data")),
    )
    .unwrap();
    let r = yieldlab::validate::replay::checkpoint_replays(&ds)
        .pop()
        .unwrap()
        .unwrap();
    let segs = &r.final_pool.segments;
    // Per-hour: Σ fee/L from segments vs fee-growth increments of the replay are the same by construction; check timestamps ordering.
    let mut unsorted = 0;
    for w in segs.windows(2) {
        if w[1].timestamp < w[0].timestamp {
            unsorted += 1;
        }
    }
    println!("segments {} unsorted {}", segs.len(), unsorted);
    let f = range_fees(segs, 0.0, f64::INFINITY);
    let g0 = yieldlab::amm::v3_exact::to_f64(
        r.final_pool.fee_growth_global[0].wrapping_sub(r.start_pool.fee_growth_global[0]),
    ) / 2f64.powi(128);
    let g1 = yieldlab::amm::v3_exact::to_f64(
        r.final_pool.fee_growth_global[1].wrapping_sub(r.start_pool.fee_growth_global[1]),
    ) / 2f64.powi(128);
    println!("exact {:?} growth {} {}", f, g0, g1);
}

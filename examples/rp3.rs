use yieldlab::data::*;
fn main() {
    let ds = Dataset::load(
        std::path::Path::new("data/shared/manifest.toml"),
        Some(std::path::Path::new("../shared/data")),
    )
    .unwrap();
    for r in yieldlab::validate::replay::checkpoint_replays(&ds) {
        let r = r.unwrap();
        let meta = &ds.pools[&r.pool];
        for a in yieldlab::validate::ranges::range_check(&r, meta) {
            println!(
                "{:>12} bar {:>6} {:>17} days {} median {:.4} % worst {:.4} %",
                a.width_label(),
                a.bar,
                a.model.name(),
                a.days,
                100.0 * a.median_abs_error,
                100.0 * a.worst_abs_error
            );
        }
    }
}

use yieldlab::data::*;
fn main() {
    let ds = Dataset::load(
        std::path::Path::new("data/shared/manifest.toml"),
        Some(std::path::Path::new("../shared/data")),
    )
    .unwrap();
    for r in yieldlab::validate::replay::snapshot_replays(&ds) {
        println!("{r:?}");
    }
}

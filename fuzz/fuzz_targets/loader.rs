//! The dataset loader: input is a manifest and a CSV file separated by a line `----`.
//! Both are written to a scratch folder and loaded (`Dataset::load`), then aligned onto
//! an hourly grid; the result is a dataset or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (manifest, csv) = match data.windows(5).position(|w| w == b"----\n") {
        Some(p) => (&data[..p], &data[p + 5..]),
        None => (data, &b""[..]),
    };
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().expect("a scratch folder");
    }
    DIR.with(|dir| {
        let m = dir.path().join("manifest.toml");
        std::fs::write(&m, manifest).expect("write manifest");
        std::fs::write(dir.path().join("a.csv"), csv).expect("write csv");
        if let Ok(ds) = yieldlab::data::Dataset::load(&m, None) {
            let grid = yieldlab::data::GridSpec {
                step: Some(3600),
                start: None,
                end: None,
            };
            let _ = yieldlab::data::build_market(&ds, &yieldlab::data::Selection::default(), &grid);
        }
    });
});

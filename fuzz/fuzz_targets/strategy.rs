//! Strategy files: any text is parsed, expanded (sweeps, windows, bootstrap; at most
//! 1,000 runs) and checked, or refused with an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = std::path::Path::new("fuzz.toml");
    match yieldlab::batch::parse_runs(text, path, 1_000) {
        Ok(runs) => {
            for r in runs {
                // Every accepted run must also build its strategy.
                r.spec.params.build().expect("an accepted run builds");
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});

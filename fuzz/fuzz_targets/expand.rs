//! Sweep, window and bootstrap expansion on its own: any text is expanded into at most
//! 1,000 variants or refused with a message; never a panic, an overflow or a stack
//! overflow (deep dotted keys), and never more variants than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match yieldlab::batch::sweep::expand(text, std::path::Path::new("fuzz.toml"), 1_000) {
        Ok(v) => assert!(v.len() <= 1_000, "{} variants over the limit", v.len()),
        Err(e) => assert!(!e.is_empty()),
    }
});

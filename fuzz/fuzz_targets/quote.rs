//! `yieldlab quote` lines: any bytes in, one JSON answer per non-blank line out, never a
//! panic, and every answer is valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    yieldlab::quote::run(data, &mut out).expect("writing to a Vec cannot fail");
    let text = std::str::from_utf8(&out).expect("answers are UTF-8");
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each answer is JSON");
        assert!(v.is_object(), "each answer is an object: {line}");
    }
});

//! A whole run from untrusted files: the input is a manifest, its CSV and a strategy
//! file separated by lines `----`. They are written to a scratch folder and planned and
//! run exactly as `yieldlab run` does (`batch::plan`, `Plan::run_records`); every run
//! ends in an output or an error, never a panic, and every accepted output is finite.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    for _ in 0..2 {
        match rest.windows(5).position(|w| w == b"----\n") {
            Some(p) => {
                parts.push(&rest[..p]);
                rest = &rest[p + 5..];
            }
            None => return,
        }
    }
    parts.push(rest);
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().expect("a scratch folder");
    }
    DIR.with(|dir| {
        std::fs::write(dir.path().join("manifest.toml"), parts[0]).expect("write manifest");
        std::fs::write(dir.path().join("a.csv"), parts[1]).expect("write csv");
        let s = dir.path().join("s.toml");
        std::fs::write(&s, parts[2]).expect("write strategy");
        let opts = yieldlab::batch::BatchOptions {
            max_runs: 20,
            progress: yieldlab::batch::progress::Progress::Off,
            ..Default::default()
        };
        let Ok(plan) = yieldlab::batch::plan(&[s], &opts) else {
            return;
        };
        let _ = plan.run_records(false, true, |record, output| {
            if let Some(o) = output {
                let v = o.result.final_value();
                assert!(v.is_finite(), "{}: final value {v}", record.name());
            }
            Ok(())
        });
    });
});

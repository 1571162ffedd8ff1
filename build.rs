//! Records a hash of the sources and the lock file as `YIELDLAB_BUILD_ID`, so that a
//! run cache written by one build is never read by a build with different code or
//! dependencies (batch::cache), even when the version number did not change.

use std::path::Path;

/// FNV-1a, 64 bits: stable across Rust versions and platforms, no dependency.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= u64::from(*b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else {
            files.push(p);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut files = Vec::new();
    walk(Path::new("src"), &mut files);
    files.push("Cargo.lock".into());
    files.sort();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for f in &files {
        fnv(&mut h, f.to_string_lossy().replace('\\', "/").as_bytes());
        fnv(&mut h, &[0]);
        if let Ok(bytes) = std::fs::read(f) {
            fnv(&mut h, &bytes);
        }
        fnv(&mut h, &[0]);
    }
    println!("cargo:rustc-env=YIELDLAB_BUILD_ID={h:016x}");
}

//! The run cache: what makes an interrupted sweep resumable.
//!
//! Each finished run's `RunRecord` (everything the report keeps of it) is appended, as
//! one JSON line, to a journal in `<out>/.yieldlab-cache/`. A rerun reads the journal
//! and runs only what is missing; the records it reads back write the same bytes as the
//! runs they came from, so the finished report is identical to an uninterrupted one.
//!
//! A record is found under its run's **key**: a SHA-256 of
//! - the build (`YIELDLAB_BUILD_ID`: the version plus a hash of the sources and
//!   `Cargo.lock`, made by build.rs, so any code or dependency change is a new build),
//! - the market the run reads (every aligned value, the grid and the pools' metadata —
//!   that is, the data files' contents as the run sees them, after the manifest's units
//!   and the strategy's `[assume]`),
//! - the run's resolved strategy document, its index and name, its bootstrap sample and
//!   whether it was recorded light.
//!
//! Change any of these and the key changes, so a stale record cannot be found: there is
//! no invalidation step to forget. Journals are per chunk of runs (bounded memory on
//! resume) and per shard; a killed process leaves at most a partial last line, which is
//! ignored and cut. Lines whose key is not one of the chunk's runs are dropped when the
//! chunk is opened, and journals of chunks the plan no longer has when it finishes.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::market::Market;
use crate::run::RunRecord;

/// The folder, inside a report folder, that holds the run cache.
pub const CACHE_DIR: &str = ".yieldlab-cache";

/// This build's identity: version and a hash of its sources and lock file.
pub fn build_id() -> String {
    format!(
        "{}+{}",
        env!("CARGO_PKG_VERSION"),
        env!("YIELDLAB_BUILD_ID")
    )
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A SHA-256 of everything in a market a run can read.
pub fn market_fingerprint(m: &Market) -> String {
    let mut h = Sha256::new();
    let floats = |h: &mut Sha256, v: &[f64]| {
        h.update((v.len() as u64).to_le_bytes());
        for x in v {
            h.update(x.to_bits().to_le_bytes());
        }
    };
    h.update(format!("{:?}\0", m.grid).as_bytes());
    for (id, p) in &m.pools {
        h.update(format!("pool {id} {:?}\0", p.meta).as_bytes());
        for (f, v) in &p.fields {
            h.update(format!("{f:?}\0").as_bytes());
            floats(&mut h, v);
        }
        for (f, (why, v)) in &p.partial {
            h.update(format!("partial {f:?} {why}\0").as_bytes());
            floats(&mut h, v);
        }
        if let Some(e) = &p.events {
            h.update(format!("events {}\0", e.segments.len()).as_bytes());
            for s in &e.segments {
                h.update(s.timestamp.to_le_bytes());
                h.update(s.sqrt_from.to_le_bytes::<32>());
                h.update(s.sqrt_to.to_le_bytes::<32>());
                h.update(s.liquidity.to_le_bytes());
                h.update(s.fee.to_le_bytes::<32>());
                h.update([s.token_in]);
            }
            for k in &e.step_start {
                h.update((*k as u64).to_le_bytes());
            }
        }
    }
    for (id, p) in &m.prices {
        h.update(format!("price {id}\0").as_bytes());
        floats(&mut h, &p.price_usd);
    }
    for (id, g) in &m.gas {
        h.update(format!("gas {id} {:?}\0", g.chain).as_bytes());
        floats(&mut h, &g.gas_price_gwei);
    }
    for (id, r) in &m.rates {
        h.update(format!("rate {id}\0").as_bytes());
        for (f, v) in &r.fields {
            h.update(format!("{f:?}\0").as_bytes());
            floats(&mut h, v);
        }
    }
    hex(&h.finalize())
}

/// The key of one run (see the module documentation for what it covers).
pub fn run_key(build: &str, market: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in [build, market].iter().chain(parts) {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// The run cache of one report folder (and shard).
pub struct RunCache {
    dir: PathBuf,
    used: Mutex<Vec<String>>,
    /// Runs found in the cache, for the closing line.
    pub hits: std::sync::atomic::AtomicUsize,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    key: String,
    record: RunRecord,
}

impl RunCache {
    /// Opens (creating) the cache in `report_dir` for tables with `suffix`.
    pub fn open(report_dir: &Path, suffix: &str) -> std::io::Result<RunCache> {
        let name = if suffix.is_empty() {
            "all".to_string()
        } else {
            suffix.trim_start_matches('.').to_string()
        };
        let dir = report_dir.join(CACHE_DIR).join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(RunCache {
            dir,
            used: Mutex::new(Vec::new()),
            hits: Default::default(),
        })
    }

    /// The journal of chunk `ordinal` of the plan, whose runs have these keys: the
    /// records already there, and a handle to append new ones. Lines of runs that are no
    /// longer in the chunk (a changed strategy, data or build) are dropped.
    pub fn chunk(&self, ordinal: usize, keys: &[String]) -> std::io::Result<Journal> {
        let name = format!("chunk-{ordinal:06}.jsonl");
        let path = self.dir.join(&name);
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(name);
        let mut found = HashMap::new();
        let mut kept: Vec<u8> = Vec::new();
        let mut stale = false;
        if let Ok(f) = File::open(&path) {
            let wanted: std::collections::HashSet<&String> = keys.iter().collect();
            let mut reader = BufReader::new(f);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                if reader.read_until(b'\n', &mut buf)? == 0 {
                    break;
                }
                // A line without its newline is one a killed process did not finish.
                if buf.last() != Some(&b'\n') {
                    stale = true;
                    break;
                }
                match serde_json::from_slice::<Line>(&buf) {
                    Ok(line) if wanted.contains(&line.key) => {
                        kept.extend_from_slice(&buf);
                        found.insert(line.key, line.record);
                    }
                    _ => stale = true,
                }
            }
        }
        if stale {
            crate::io::write_atomic(&path, &kept)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Journal {
            found,
            file: Mutex::new(file),
        })
    }

    /// Removes the journals of runs that are no longer part of this folder's plan.
    pub fn remove_unused(&self) {
        let used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let f = e.file_name().to_string_lossy().into_owned();
                if !used.contains(&f) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// One chunk's journal.
pub struct Journal {
    found: HashMap<String, RunRecord>,
    file: Mutex<File>,
}

impl Journal {
    pub fn get(&self, key: &str) -> Option<&RunRecord> {
        self.found.get(key)
    }

    /// Appends a record as one line, written with one call so that a kill leaves at
    /// most that line partial.
    pub fn append(&self, key: &str, record: &RunRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(&Line {
            key: key.to_string(),
            record: record.clone(),
        })
        .map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write_all(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_every_part() {
        let base = run_key("0.1.0+a", "m", &["doc", "0"]);
        assert_eq!(base, run_key("0.1.0+a", "m", &["doc", "0"]));
        assert_ne!(base, run_key("0.1.1+a", "m", &["doc", "0"]));
        assert_ne!(base, run_key("0.1.0+b", "m", &["doc", "0"]));
        assert_ne!(base, run_key("0.1.0+a", "n", &["doc", "0"]));
        assert_ne!(base, run_key("0.1.0+a", "m", &["dog", "0"]));
        assert_ne!(base, run_key("0.1.0+a", "m", &["doc", "1"]));
        // Parts are length-prefixed: moving a boundary changes the key.
        assert_ne!(run_key("a", "b", &["cd"]), run_key("a", "bc", &["d"]));
    }

    #[test]
    fn a_partial_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RunCache::open(dir.path(), "").unwrap();
        let keys = vec!["k1".to_string(), "k2".to_string()];
        let rec = |i: usize| {
            RunRecord::new(
                i,
                vec![format!("r{i}"), "m".into()],
                vec![("a".into(), "1".into())],
                Vec::new(),
                Vec::new(),
                [f64::NAN; 3],
                true,
            )
        };
        {
            let j = cache.chunk(0, &keys).unwrap();
            assert!(j.get("k1").is_none());
            j.append("k1", &rec(0)).unwrap();
            j.append("k2", &rec(1)).unwrap();
        }
        // Cut the file inside its last line, as a kill during the write would.
        let file = std::fs::read_dir(dir.path().join(CACHE_DIR).join("all"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() - 7]).unwrap();
        let j = cache.chunk(0, &keys).unwrap();
        assert_eq!(j.get("k1"), Some(&rec(0)));
        assert!(j.get("k2").is_none());
        j.append("k2", &rec(1)).unwrap();
        drop(j);
        let j = cache.chunk(0, &keys).unwrap();
        assert_eq!(
            j.get("k2"),
            Some(&rec(1)),
            "the cut line was dropped before appending"
        );
        drop(j);
        // Lines of runs no longer in the chunk are not read, and are dropped.
        let other = cache.chunk(0, &["k3".to_string()]).unwrap();
        assert!(other.get("k1").is_none());
        assert!(std::fs::read(&file).unwrap().is_empty());
    }
}

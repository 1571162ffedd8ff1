//! Output files written so that no reader ever sees half of one, in folders whose other
//! files are never touched.
//!
//! * `write_atomic`: one file goes to a temporary name in its folder, is flushed to
//!   disk, then renamed over the final name (an atomic replace on POSIX file systems).
//! * `OutDir`: a whole output (a report, a dataset) is written into a staging folder
//!   inside the output folder and its files are renamed into place only when every one
//!   of them is complete; a failed write (a full disk, a killed process) leaves the
//!   folder as it was. The folder records the files yieldlab wrote in it
//!   (`.yieldlab-owned`); a folder holding anything else is refused unless the caller
//!   forces it, and even then only recorded files are ever replaced or removed. Two
//!   processes writing the same output are serialised by a lock file.

pub mod table;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} has no file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Largest text input read whole (strategy files, manifests, parameter files, JSON
/// replays, runs.txt): far over any real one, small enough to read safely.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;
/// Largest data file (CSV, Parquet, event logs) read.
pub const MAX_DATA_BYTES: u64 = 16 << 30;

/// Why an input file is not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// It does not exist.
    #[error("{0}")]
    Missing(std::io::Error),
    /// Bad input: not a regular file, or over the size limit (exit code 2).
    #[error("{0}")]
    Refused(String),
    /// Reading failed (exit code 1).
    #[error("{0}")]
    Io(std::io::Error),
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    format!("{x:.1} {}", UNITS[u])
}

/// Checks that `path` is a regular file (following links) of at most `limit` bytes
/// before anything reads it: a device (`/dev/zero`), FIFO, socket or folder is refused,
/// as is a file over the limit; returns its size.
pub fn check_input_file(path: &Path, limit: u64) -> Result<u64, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing(e),
        _ => InputError::Io(e),
    })?;
    if meta.is_dir() {
        return Err(InputError::Refused(
            "is a folder, expected a file; give the path of the file".into(),
        ));
    }
    if !meta.is_file() {
        return Err(InputError::Refused(
            "is not a regular file (a device, FIFO or socket); give the path of a file".into(),
        ));
    }
    if meta.len() > limit {
        return Err(InputError::Refused(format!(
            "is {}, over the limit of {} for this kind of file; give a smaller file (split it by period)",
            human_bytes(meta.len()),
            human_bytes(limit)
        )));
    }
    Ok(meta.len())
}

/// Reads a text input file whole after `check_input_file`; at most `limit` bytes are
/// read even if the file grows meanwhile. Invalid UTF-8 is an error naming its byte.
pub fn read_input_text(path: &Path, limit: u64) -> Result<String, InputError> {
    use std::io::Read;
    check_input_file(path, limit)?;
    let f = File::open(path).map_err(InputError::Io)?;
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::Refused(format!(
            "grew over the limit of {} while being read",
            human_bytes(limit)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        InputError::Refused(format!(
            "is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Runs a third-party reader (polars) so that a panic inside it — an unsupported
/// column type, a malformed file it does not check — becomes an error naming what it
/// said, instead of ending the process. The panic message is kept from stderr while the
/// reader runs (the hook is process-wide: readers run on the loading thread, one file at
/// a time).
pub fn contain_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::{Arc, Mutex};
    let said: Arc<Mutex<Option<String>>> = Arc::default();
    let keep = Arc::clone(&said);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        if let Ok(mut slot) = keep.lock() {
            slot.get_or_insert(text);
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|_| {
        said.lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_else(|| "the reader failed".into())
    })
}

/// The record of the files yieldlab wrote in an output folder (relative paths, `/`
/// separated, one per line).
pub const OWNED_FILE: &str = ".yieldlab-owned";
/// Everything yieldlab keeps for itself in an output folder starts with this (the
/// record, the locks, staging folders, the run cache).
pub const PRIVATE_PREFIX: &str = ".yieldlab-";
/// Most entries an output folder is searched for foreign files (a bound, not a limit on
/// what may be in it: a folder over it is treated as foreign).
const MAX_SCAN: usize = 100_000;
/// Deepest sub-folder searched.
const MAX_DEPTH: usize = 16;

/// Why an output folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    /// Bad input: the folder is not ours to write (exit code 2).
    #[error("{0}")]
    Refused(String),
    /// The machine failed us (exit code 1).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> OutError + '_ {
    move |source| OutError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How `OutDir::claim` treats what is already in the folder.
#[derive(Debug, Clone, Default)]
pub struct Claim {
    /// Distinguishes concurrent writers of one folder that write different files (the
    /// shards of a sweep: `.part-K-of-N`); writers with the same key are serialised.
    pub key: String,
    /// Files (relative paths) this write produces; with `replace` false, any of them
    /// already present refuses the claim.
    pub produces: Vec<String>,
    /// Replace outputs of an earlier yieldlab write (`--force`, or a default folder).
    pub replace: bool,
    /// Write into a folder that holds files yieldlab did not write (`--force`); they are
    /// kept, never replaced or removed.
    pub foreign_ok: bool,
    /// Shown in messages: the flag that overrides a refusal.
    pub force_flag: &'static str,
    /// Files the caller recognises as written by yieldlab although the folder has no
    /// record of them (a dataset generated before records existed).
    pub adopt: Vec<String>,
}

/// An output folder claimed for one write: its run lock is held until the value is
/// dropped or committed; files are written under `staging()`.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    staging: PathBuf,
    _lock: File,
    committed: bool,
    adopted: Vec<String>,
}

/// The relative path of `p` under `root`, `/`-separated, or None when it is not valid
/// UTF-8 (such a file is never ours).
fn rel_name(root: &Path, p: &Path) -> Option<String> {
    let rel = p.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// The files under `dir` (relative names), skipping yieldlab's private entries, at most
/// `MAX_SCAN` entries and `MAX_DEPTH` levels; symbolic links and other non-regular
/// entries are listed as they are (they are never ours). `Err` names what was too big.
fn list_files(dir: &Path) -> Result<Vec<String>, OutError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((d, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_at(&d)(e)),
        };
        for e in entries {
            let e = e.map_err(io_at(&d))?;
            seen += 1;
            if seen > MAX_SCAN {
                return Err(OutError::Refused(format!(
                    "{}: holds over {MAX_SCAN} entries; choose an empty or new folder",
                    dir.display()
                )));
            }
            let path = e.path();
            let name = e.file_name();
            let private = name.to_string_lossy().starts_with(PRIVATE_PREFIX);
            if depth == 0 && private {
                continue;
            }
            // Temporaries of an interrupted `write_atomic` (ours: removed at commit).
            if name.to_string_lossy().contains(".tmp.") && name.to_string_lossy().starts_with('.') {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).map_err(io_at(&path))?;
            let shown = rel_name(dir, &path).unwrap_or_else(|| path.display().to_string());
            if meta.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    return Err(OutError::Refused(format!(
                        "{}: folders nested over {MAX_DEPTH} levels; choose an empty or new folder",
                        dir.display()
                    )));
                }
                stack.push((path, depth + 1));
            } else {
                out.push(shown);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_owned(dir: &Path) -> Result<BTreeSet<String>, OutError> {
    let p = dir.join(OWNED_FILE);
    match std::fs::read_to_string(&p) {
        Ok(t) => Ok(t
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(io_at(&p)(e)),
    }
}

fn write_owned(dir: &Path, owned: &BTreeSet<String>) -> Result<(), OutError> {
    let text: String = owned.iter().map(|n| format!("{n}\n")).collect();
    let p = dir.join(OWNED_FILE);
    write_atomic(&p, text.as_bytes()).map_err(io_at(&p))
}

/// Takes an exclusive lock on `path` (created if absent), waiting for another holder
/// with a message on stderr naming what waits for what.
fn lock_file(path: &Path, what: &str) -> Result<File, OutError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_at(path))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!(
                "waiting: another yieldlab is writing {what} (lock {}); this one starts when it ends",
                path.display()
            );
            f.lock().map_err(io_at(path))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_at(path)(e)),
    }
    Ok(f)
}

/// A name safe on every file system for any text: ASCII letters, digits, `_` and `-`
/// kept, anything else `_`; where something was replaced, a short hash of the original
/// keeps two different texts apart ("α" and "β").
pub fn safe_name(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if clean == text {
        return clean;
    }
    use sha2::Digest;
    let h = sha2::Sha256::digest(text.as_bytes());
    let hex: String = h.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{clean}-{hex}")
}

impl OutDir {
    /// Claims `dir` for one write: creates it, serialises with other writers of the same
    /// `claim.key`, and refuses (naming the files and the override) a folder holding
    /// files yieldlab did not write, or earlier outputs when they may not be replaced.
    pub fn claim(dir: &Path, claim: &Claim) -> Result<OutDir, OutError> {
        if let Ok(m) = std::fs::metadata(dir) {
            if !m.is_dir() {
                return Err(OutError::Refused(format!(
                    "{}: is a file, not a folder; give a folder (new or empty) for the output",
                    dir.display()
                )));
            }
        }
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        let lock = lock_file(
            &dir.join(format!("{PRIVATE_PREFIX}lock.run{}", claim.key)),
            &dir.display().to_string(),
        )?;
        let mut owned = read_owned(dir)?;
        let present = list_files(dir)?;
        let adopted: Vec<String> = claim
            .adopt
            .iter()
            .filter(|n| present.contains(n) && !owned.contains(*n))
            .cloned()
            .collect();
        owned.extend(adopted.iter().cloned());
        let foreign: Vec<&String> = present.iter().filter(|f| !owned.contains(*f)).collect();
        if !foreign.is_empty() && !claim.foreign_ok {
            let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
            let more = if foreign.len() > 5 {
                format!(" and {} more", foreign.len() - 5)
            } else {
                String::new()
            };
            return Err(OutError::Refused(format!(
                "{}: holds files yieldlab did not write ({}{more}); choose a new or empty folder, or pass {} to write beside them (they are kept)",
                dir.display(),
                shown.join(", "),
                claim.force_flag
            )));
        }
        if let Some(theirs) = claim.produces.iter().find(|n| foreign.contains(n)) {
            return Err(OutError::Refused(format!(
                "{}: exists and was not written by yieldlab (or its record {OWNED_FILE} is gone); move it away or choose another folder",
                dir.join(theirs).display()
            )));
        }
        if !claim.replace {
            if let Some(existing) = claim
                .produces
                .iter()
                .find(|n| owned.contains(*n) && present.contains(n))
            {
                return Err(OutError::Refused(format!(
                    "{}: already holds an output ({existing}); pass {} to replace it, or choose another folder",
                    dir.display(),
                    claim.force_flag
                )));
            }
        }
        // `.pid-` ends the key, so one key's prefix is never another's (".part-…").
        let prefix = format!("{PRIVATE_PREFIX}staging{}.pid-", claim.key);
        let staging = dir.join(format!("{prefix}{}", std::process::id()));
        // A staging folder of an earlier, killed writer with this key (its lock is ours now).
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        std::fs::create_dir_all(&staging).map_err(io_at(&staging))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging,
            _lock: lock,
            committed: false,
            adopted,
        })
    }

    /// The folder the write's files go to; `commit` moves them into place.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves every file written under `staging()` into place (same relative path),
    /// removes the earlier outputs of this kind of write that this one did not write —
    /// recorded files `stale(name)` says belong to it, never anything else — and records
    /// what is now ours. Returns the relative names moved into place.
    pub fn commit(mut self, stale: impl Fn(&str) -> bool) -> Result<Vec<String>, OutError> {
        let commit_lock = lock_file(
            &self.dir.join(format!("{PRIVATE_PREFIX}lock.commit")),
            &self.dir.display().to_string(),
        )?;
        let written = list_files(&self.staging)?;
        let mut owned = read_owned(&self.dir)?;
        owned.extend(self.adopted.iter().cloned());
        // A foreign file of a name written here is never replaced (a forced write beside
        // it); checked for all before any is moved.
        if let Some(name) = written
            .iter()
            .find(|n| !owned.contains(*n) && std::fs::symlink_metadata(self.dir.join(n)).is_ok())
        {
            return Err(OutError::Refused(format!(
                "{}: a file yieldlab did not write is in the way; move it away or choose another folder",
                self.dir.join(name).display()
            )));
        }
        for name in &written {
            let from = self.staging.join(name);
            let to = self.dir.join(name);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io_at(parent))?;
            }
            std::fs::rename(&from, &to).map_err(io_at(&to))?;
            owned.insert(name.clone());
        }
        let gone: Vec<String> = owned
            .iter()
            .filter(|n| stale(n) && !written.contains(n))
            .cloned()
            .collect();
        for n in &gone {
            let p = self.dir.join(n);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_at(&p)(e)),
            }
            owned.remove(n);
        }
        // Records of files someone else removed since.
        owned.retain(|n| self.dir.join(n).exists());
        write_owned(&self.dir, &owned)?;
        let _ = std::fs::remove_dir_all(&self.staging);
        self.committed = true;
        drop(commit_lock);
        Ok(written)
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            // A failed write leaves nothing: the folder is as it was.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_a_reader_becomes_its_message() {
        let r: Result<(), String> = contain_panic(|| panic!("activate 'dtype-x' feature"));
        assert_eq!(r.unwrap_err(), "activate 'dtype-x' feature");
        assert_eq!(contain_panic(|| 7).unwrap(), 7);
    }

    #[test]
    fn safe_names_keep_different_texts_apart() {
        assert_eq!(safe_name("lp_weth-1"), "lp_weth-1");
        let (a, b) = (safe_name("α"), safe_name("β"));
        assert_ne!(a, b);
        assert!(a.is_ascii() && b.is_ascii());
        assert_ne!(safe_name("a b"), safe_name("a_b"));
    }

    #[test]
    fn a_claim_clears_only_its_own_keys_staging() {
        let dir = tempfile::tempdir().unwrap();
        let shard = dir.path().join(".yieldlab-staging.part-0-of-2.pid-999");
        let killed = dir.path().join(".yieldlab-staging.pid-999");
        std::fs::create_dir_all(&shard).unwrap();
        std::fs::create_dir_all(&killed).unwrap();
        let out = OutDir::claim(dir.path(), &Claim::default()).unwrap();
        assert!(shard.is_dir(), "another key's staging folder is left alone");
        assert!(
            !killed.exists(),
            "a killed writer's staging folder of this key is removed"
        );
        std::fs::write(out.staging().join("a.csv"), "x").unwrap();
        assert_eq!(out.commit(|_| true).unwrap(), vec!["a.csv".to_string()]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(OWNED_FILE)).unwrap(),
            "a.csv\n"
        );
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

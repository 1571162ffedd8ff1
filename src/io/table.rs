//! A CSV table streamed row by row to a temporary file in its folder and renamed to
//! its final name when complete (`commit`); dropped before that, it leaves nothing.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// A CSV table being written.
pub struct TableFile {
    tmp: PathBuf,
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
}

impl TableFile {
    /// Starts `dir/name` with its header row.
    pub fn create(dir: &Path, name: &str, header: &[String]) -> std::io::Result<TableFile> {
        let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
        let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(&tmp)?));
        let mut t = TableFile {
            tmp,
            path: dir.join(name),
            writer: None,
        };
        writer.write_record(header).map_err(std::io::Error::other)?;
        t.writer = Some(writer);
        Ok(t)
    }

    pub fn write_record(&mut self, row: &[String]) -> std::io::Result<()> {
        match &mut self.writer {
            Some(w) => w.write_record(row).map_err(std::io::Error::other),
            None => Err(std::io::Error::other("the table is already committed")),
        }
    }

    /// Flushes the table to disk and renames it into place; returns its path.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        let w = self
            .writer
            .take()
            .ok_or_else(|| std::io::Error::other("the table is already committed"))?;
        let file = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        file.into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path.clone())
    }
}

impl Drop for TableFile {
    fn drop(&mut self) {
        // An interrupted table leaves no half-written file behind.
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let header = vec!["a".to_string(), "b".to_string()];
        let mut t = TableFile::create(dir.path(), "t.csv", &header).unwrap();
        t.write_record(&["1".into(), "2".into()]).unwrap();
        assert!(!dir.path().join("t.csv").exists());
        let path = t.commit().unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "a,b\n1,2\n");
        let t = TableFile::create(dir.path(), "u.csv", &header).unwrap();
        drop(t);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "a dropped table leaves nothing");
    }
}

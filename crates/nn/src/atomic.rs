//! Files that appear whole or not at all.
//!
//! An [`AtomicFile`] is written under a temporary name `.<name>.tmp.<pid>.<n>`
//! in the *same folder* as its target (a rename is only atomic within one
//! file system). [`AtomicFile::commit`] syncs the data to disk, renames the
//! temporary over the target and syncs the folder, so the target holds either
//! its old content or all of the new, never a mix, even if the process or the
//! machine dies midway. Dropped without a commit (an error, a panic, Ctrl-C
//! unwinding), the temporary is removed and the target is left untouched.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A file being written; see the module docs.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    /// `None` once committed.
    file: Option<BufWriter<fs::File>>,
}

impl AtomicFile {
    /// Starts writing what will become `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{} does not name a file", path.display())))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".tmp.{}.{}", std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
        let temp = folder_of(path).join(temp_name);
        // `truncate`, not `create_new`: a temporary left by a crashed process
        // that had the same pid is garbage we may overwrite.
        let file = fs::OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        Ok(AtomicFile { target: path.to_path_buf(), temp, file: Some(BufWriter::new(file)) })
    }

    /// Puts the file in place under its name.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(file) = self.file.take() else { return Ok(()) };
        let result =
            file.into_inner().map_err(|e| e.into_error()).and_then(|f| f.sync_all()).and_then(|_| fs::rename(&self.temp, &self.target));
        if result.is_err() {
            // Best effort: the temporary may already be gone.
            let _ = fs::remove_file(&self.temp);
            return result;
        }
        sync_dir(folder_of(&self.target));
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically (see [`AtomicFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a folder's entries to disk so a completed rename survives a power
/// cut. Best effort: some file systems refuse to fsync folders, and the data
/// itself is already safe at this point.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("recon-atomic-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_target_changes_only_on_commit() {
        let dir = scratch("commit");
        let target = dir.join("out.csv");
        fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new content").unwrap();
        f.flush().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "old", "visible before the commit");
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new content");
        assert_eq!(entries(&dir), ["out.csv"], "a temporary was left behind");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn dropped_without_commit_leaves_the_old_file_and_no_temporary() {
        let dir = scratch("drop");
        let target = dir.join("out.csv");
        fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half of it").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(entries(&dir), ["out.csv"]);
        let _ = fs::remove_dir_all(&dir);
    }
}

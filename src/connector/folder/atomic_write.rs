//! Writing a file so that readers see the old bytes or the new ones, never a part: a temporary
//! file in the same directory, flushed to disk, renamed over the target, and the directory
//! flushed so the rename survives a crash. A failed write leaves no temporary file behind.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Replaces `target` with `bytes`, creating missing parent directories.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let directory = target.parent().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no parent directory", target.display()),
        )
    })?;
    std::fs::create_dir_all(directory)?;
    // Hidden, so a folder reader that lists the directory meanwhile never takes it for content.
    let mut temporary = tempfile::Builder::new()
        .prefix(".igny8-")
        .suffix(".tmp")
        .tempfile_in(directory)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(target).map_err(|err| err.error)?;
    File::open(directory)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(directory: &Path) -> Vec<String> {
        std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".igny8-"))
            .collect()
    }

    #[test]
    fn readers_see_the_old_file_or_the_new_one_never_a_part() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out/page.html");
        let old = "a".repeat(4 << 20);
        let new = "b".repeat(4 << 20);
        write_atomically(&target, old.as_bytes()).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (target, stop) = (target.clone(), stop.clone());
            let (old, new) = (old.clone(), new.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    let seen = std::fs::read_to_string(&target).unwrap();
                    assert!(seen == old || seen == new, "a partial file was visible");
                    reads += 1;
                }
                reads
            })
        };
        for round in 0..20 {
            let body = if round % 2 == 0 { &new } else { &old };
            write_atomically(&target, body.as_bytes()).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), old);
        assert!(leftovers(target.parent().unwrap()).is_empty());
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should go: the rename cannot replace it.
        let target = dir.path().join("page.html");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside.txt"), "kept").unwrap();
        assert!(write_atomically(&target, b"<p>new</p>").is_err());
        assert!(target.is_dir());
        assert_eq!(
            std::fs::read_to_string(target.join("inside.txt")).unwrap(),
            "kept"
        );
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

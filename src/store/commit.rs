//! The commit protocol, correct without a lock, so that writers on several machines sharing the
//! store's folder over a network mount (where `flock` does not reach across machines) lose and
//! duplicate nothing:
//!
//! - A segment id is claimed by creating its partial folder with an exclusive `mkdir`; a writer
//!   that finds the name taken tries the next id. The folder holds a `writer` file naming its
//!   host and process, so that clean-up can tell a live write from an abandoned one.
//! - Every manifest has a generation. A commit installs generation g+1 on top of the g it read,
//!   by hard-linking a complete, fsynced temporary file to `manifests/<g+1>.json`: the link
//!   fails when the name is taken, so of two writers on the same g exactly one commits (a
//!   compare-and-swap). The loser reads the newest manifest and tries again, or redoes its
//!   write (see [`super::SegmentWriter::commit`]).
//! - `manifest.json` is then replaced by rename, for readers that know nothing of generations.
//!   A slow writer's late rename can put an older generation there, so testsift's own readers
//!   also take every newer `manifests/<g>.json`, and every writer puts the newest back in place
//!   after its commit.

use super::{FORMAT, MANIFEST, Manifest, SEGMENTS, Store, StoreError, io_err, segment_name};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The folder of committed manifest generations.
pub(super) const MANIFESTS: &str = "manifests";
/// The file in a segment folder that names the process writing it; removed once committed.
pub(super) const WRITER: &str = "writer";
/// The `writer` file while it is written; renamed to [`WRITER`] once complete, so that a
/// `writer` file is never seen half written.
pub(super) const WRITER_PART: &str = "writer.part";
/// Generation files kept behind the newest (older ones are removed by the next write).
const KEEP_GENERATIONS: u64 = 16;
/// Commits lost in a row (or writes redone) before a writer gives up.
pub(crate) const COMMIT_TRIES: u32 = 10;
/// A partial or uncommitted segment (or a temporary manifest) untouched for this long, whose
/// writer cannot be seen to be alive, is taken as abandoned by a writer that died.
pub(crate) const ABANDONED_AFTER: Duration = Duration::from_secs(3600);
/// Ids tried past the first one before a claim gives up.
const CLAIM_TRIES: u64 = 10_000;

/// This process, as the `writer` file and temporary names record it.
struct Me {
    host: String,
    /// The kernel's boot id where there is one: a pid recorded before a reboot names no
    /// process after it.
    boot: String,
    pid: u32,
    /// Unique to this process: temporary names carry it.
    token: String,
}

fn me() -> &'static Me {
    static ME: OnceLock<Me> = OnceLock::new();
    ME.get_or_init(|| {
        let read = |path: &str| {
            fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let mut host = read("/proc/sys/kernel/hostname");
        if host.is_empty() {
            host = std::env::var("HOSTNAME")
                .or_else(|_| std::env::var("COMPUTERNAME"))
                .unwrap_or_default();
        }
        let boot = read("/proc/sys/kernel/random/boot_id");
        let pid = std::process::id();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!("{host}\n{boot}\n{pid}\n{nanos}");
        let token = format!("{pid}-{:016x}", xxhash_rust::xxh3::xxh3_64(seed.as_bytes()));
        Me {
            host,
            boot,
            pid,
            token,
        }
    })
}

/// A name no other writer uses, for a temporary file.
fn unique(prefix: &str) -> String {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}.{}-{n}.tmp", me().token)
}

/// The generation of a file name `manifests/<g>.json`, `None` for any other name.
fn parse_generation(name: &str) -> Option<u64> {
    let g: u64 = name.strip_suffix(".json")?.parse().ok()?;
    (segment_name(g) == name.trim_end_matches(".json")).then_some(g)
}

/// Whether `name` is a temporary file a commit writes in `manifests/` (or `manifest.json`'s).
fn is_temporary(name: &str) -> bool {
    name.ends_with(".tmp")
        && (name.starts_with(MANIFEST)
            || name
                .split('.')
                .next()
                .and_then(|g| g.parse::<u64>().ok())
                .is_some())
}

/// Waits a little before the next try, longer each time and different for each writer, so that
/// writers that collided do not collide again in step.
pub(crate) fn backoff(attempt: u32) {
    let jitter = xxhash_rust::xxh3::xxh3_64(format!("{}{attempt}", me().token).as_bytes()) % 40;
    let ms = 10 * u64::from(attempt.min(10) + 1) + jitter;
    std::thread::sleep(Duration::from_millis(ms));
}

impl Store {
    fn manifests_dir(&self) -> PathBuf {
        self.dir.join(MANIFESTS)
    }

    fn generation_path(&self, generation: u64) -> PathBuf {
        self.manifests_dir()
            .join(format!("{}.json", segment_name(generation)))
    }

    /// The committed generations in `manifests/`, sorted (none for a store of format 3 or
    /// before, which has no such folder).
    fn generations(&self) -> Result<Vec<u64>, StoreError> {
        let dir = self.manifests_dir();
        let read = match fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut out = Vec::new();
        for entry in read {
            let entry = entry.map_err(io_err(&dir))?;
            if let Some(g) = parse_generation(&entry.file_name().to_string_lossy()) {
                out.push(g);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The newest committed manifest: the newest generation file (a listing can be stale on a
    /// network mount, so names past the newest listed one are probed for as well), or
    /// `manifest.json` when there is none (a store of format 3 or before). Generation files are
    /// never replaced, so no client cache holds a stale copy of one; `manifest.json` is, and a
    /// late rename can even put an older generation there, so it only says where to start. An
    /// empty manifest when the store does not exist.
    pub(super) fn read_newest(&self) -> Result<Manifest, StoreError> {
        for _ in 0..COMMIT_TRIES {
            let listed = self.generations()?.last().copied().unwrap_or(0);
            let entry = if listed == 0 {
                self.read_manifest_file(&self.manifest_path())?
            } else {
                // Only a hint: a stale or damaged copy must not hide the generation files.
                self.read_manifest_file(&self.manifest_path())
                    .ok()
                    .flatten()
            };
            let hint = entry.as_ref().map_or(0, |m| m.generation);
            let mut generation = listed.max(hint);
            let mut best = None;
            if generation > 0 {
                best = self.read_manifest_file(&self.generation_path(generation))?;
            }
            if best.is_none() && generation > 0 && generation == listed {
                // Pruned between the listing and the read: a newer one exists.
                continue;
            }
            while let Some(next) = generation.checked_add(1) {
                match self.read_manifest_file(&self.generation_path(next))? {
                    Some(m) => {
                        generation = next;
                        best = Some(m);
                    }
                    None => break,
                }
            }
            return Ok(best.or(entry).unwrap_or_else(Manifest::empty));
        }
        Err(self.contended(COMMIT_TRIES))
    }

    /// The generation of the newest committed manifest (0: none yet, or a store of format 3).
    pub(crate) fn generation(&self) -> Result<u64, StoreError> {
        Ok(self.read_newest()?.generation)
    }

    /// Runs `once` (given the try's number, from 0) until it commits or has nothing to do:
    /// again, after a short wait, when it says another writer committed first (`Ok(None)`), or
    /// when it failed with an error `redo` accepts and the store's generation moved meanwhile
    /// (what it read was removed by another writer's commit). Gives up after
    /// [`COMMIT_TRIES`] tries.
    pub(crate) fn retrying<T, E: From<StoreError>>(
        &self,
        mut once: impl FnMut(u32) -> Result<Option<T>, E>,
        redo: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        for attempt in 0..COMMIT_TRIES {
            let generation = self.generation()?;
            match once(attempt) {
                Ok(Some(out)) => return Ok(out),
                Ok(None) => {}
                Err(e) if redo(&e) && self.generation()? != generation => {}
                Err(e) => return Err(e),
            }
            backoff(attempt);
        }
        Err(self.contended(COMMIT_TRIES).into())
    }

    pub(crate) fn contended(&self, tries: u32) -> StoreError {
        StoreError::Contended {
            path: self.dir.display().to_string(),
            tries,
        }
    }

    /// Commits `manifest` as the generation after `base`, unless another writer committed that
    /// generation first: `Ok(true)` when this one is committed, `Ok(false)` when it lost (then
    /// nothing of it is visible).
    pub(super) fn install(&self, manifest: &mut Manifest, base: u64) -> Result<bool, StoreError> {
        let path = self.manifest_path();
        manifest.format = FORMAT;
        manifest.generation = base.checked_add(1).ok_or_else(|| self.contended(0))?;
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Manifest {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let dir = self.manifests_dir();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let tmp = dir.join(unique(&segment_name(manifest.generation)));
        write_synced(&tmp, &json)?;
        let target = self.generation_path(manifest.generation);
        if let Err(e) = fs::hard_link(&tmp, &target) {
            // The name is taken (AlreadyExists; sshfs reports it as a permission error), or a
            // retransmitted link of this very file failed on a network mount: the content says.
            let ours = match fs::read(&target) {
                Ok(bytes) => bytes == json,
                Err(read) if read.kind() == io::ErrorKind::NotFound => {
                    // No hard links here (FAT, exFAT, some mounts): an exclusive create is the
                    // compare-and-swap instead. Readers could see the file before it is
                    // written whole, so this is only right where the lock keeps writers and
                    // readers on one machine, which is where such filesystems are.
                    let _ = fs::remove_file(&tmp);
                    return match create_exclusive(&target, &json) {
                        Ok(true) => {
                            sync_dir(&dir)?;
                            let tmp = dir.join(unique(MANIFEST));
                            write_synced(&tmp, &json)?;
                            fs::rename(&tmp, &path).map_err(io_err(&path))?;
                            sync_dir(&self.dir)?;
                            self.refresh_entry()?;
                            Ok(true)
                        }
                        Ok(false) => Ok(false),
                        Err(create) => Err(StoreError::Io {
                            path: target.display().to_string(),
                            source: io::Error::new(
                                create.kind(),
                                format!(
                                    "cannot commit: neither a hard link ({e}) nor an exclusive \
                                     create ({create}) works in this folder"
                                ),
                            ),
                        }),
                    };
                }
                Err(read) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(io_err(&target)(read));
                }
            };
            if !ours {
                fs::remove_file(&tmp).map_err(io_err(&tmp))?;
                return Ok(false);
            }
        }
        sync_dir(&dir)?;
        // Committed. manifest.json follows, for readers that read only it.
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(&self.dir)?;
        self.refresh_entry()?;
        Ok(true)
    }

    /// Puts the newest generation in `manifest.json` when a late rename left an older one
    /// there (a few tries: another writer that commits meanwhile does the same after it).
    pub(super) fn refresh_entry(&self) -> Result<(), StoreError> {
        let path = self.manifest_path();
        for _ in 0..4 {
            let newest = self.read_newest()?;
            let source = self.generation_path(newest.generation);
            let bytes = match fs::read(&source) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&source)(e)),
            };
            // Left alone when it is the newest (byte for byte: a copy edited by hand is put
            // back too), or newer still (another writer committed meanwhile).
            let entry = fs::read(&path).ok();
            if entry.as_ref() == Some(&bytes)
                || entry
                    .and_then(|e| serde_json::from_slice::<Manifest>(&e).ok())
                    .is_some_and(|e| e.generation > newest.generation)
            {
                return Ok(());
            }
            let tmp = self.manifests_dir().join(unique(MANIFEST));
            write_synced(&tmp, &bytes)?;
            fs::rename(&tmp, &path).map_err(io_err(&path))?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// What is wrong with `manifest.json`, the file other engines start from, when it is not
    /// the newest committed generation (a write puts it back; until then they would read
    /// another store). `None` for a store of format 3 or before, whose only manifest it is.
    pub(super) fn entry_problem(&self) -> Result<Option<String>, StoreError> {
        // The newest as readers find it (a listing of manifests/ can lag on a network mount).
        let newest = self.read_newest()?.generation;
        if newest == 0 {
            return Ok(None);
        }
        let path = self.manifest_path();
        let source = self.generation_path(newest);
        let committed = fs::read(&source).map_err(io_err(&source))?;
        let entry = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Some(format!(
                    "{}: missing; engines that read it find no store (the next write puts back {})",
                    path.display(),
                    source.display()
                )));
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        if entry == committed {
            return Ok(None);
        }
        let said = match serde_json::from_slice::<Manifest>(&entry) {
            Ok(m) if m.generation == newest => "other contents than".to_string(),
            Ok(m) => format!("generation {}, not", m.generation),
            Err(_) => "no readable manifest, not".to_string(),
        };
        Ok(Some(format!(
            "{}: holds {said} the committed {} (generation {newest}); engines that read it \
             see another store until the next write puts it back",
            path.display(),
            source.display()
        )))
    }

    /// Removes generation files more than [`KEEP_GENERATIONS`] behind `newest`, and temporary
    /// manifests left by writers that died. Only names a commit writes.
    pub(super) fn prune_generations(&self, newest: u64) -> Result<(), StoreError> {
        let dir = self.manifests_dir();
        let read = match fs::read_dir(&dir) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        for entry in read {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let old = match parse_generation(&name) {
                Some(g) => g.saturating_add(KEEP_GENERATIONS) <= newest,
                None => is_temporary(&name) && untouched_for(&path, ABANDONED_AFTER),
            };
            if old {
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&path)(e)),
                }
            }
        }
        Ok(())
    }

    /// Claims the first free segment id at or after `from`: its partial folder is created
    /// exclusively, with a `writer` file. An id whose folder exists (partial or finished, by
    /// another writer) is skipped, and so is one below the newest manifest's next id (another
    /// writer may have committed and removed it meanwhile: ids are never reused).
    pub(super) fn claim_id(&self, from: u64) -> Result<(u64, PathBuf), StoreError> {
        let exhausted = || StoreError::IdsExhausted {
            path: self.dir.display().to_string(),
        };
        let segments = self.dir.join(SEGMENTS);
        fs::create_dir_all(&segments).map_err(io_err(&segments))?;
        let mut id = from;
        for _ in 0..CLAIM_TRIES {
            // The id after this one must exist: it becomes the next id once this one commits.
            id.checked_add(1).ok_or_else(exhausted)?;
            let tmp = self.partial_dir(id);
            match fs::create_dir(&tmp) {
                Ok(()) => {}
                // Taken; a network mount may report the lost race as another error.
                Err(_) if tmp.exists() => {
                    id = id.checked_add(1).ok_or_else(exhausted)?;
                    continue;
                }
                Err(e) => return Err(io_err(&tmp)(e)),
            }
            let (part, writer) = (tmp.join(WRITER_PART), tmp.join(WRITER));
            let m = me();
            let named = write_synced(
                &part,
                format!("host {}\nboot {}\npid {}\n", m.host, m.boot, m.pid).as_bytes(),
            )
            .and_then(|()| fs::rename(&part, &writer).map_err(io_err(&part)));
            if let Err(e) = named {
                // Another writer's clean-up took the claim for one a killed writer left before
                // naming itself (see [`unstarted`]): claim the next id instead.
                if !tmp.exists() || !part.exists() && !writer.exists() {
                    let _ = fs::remove_dir(&tmp);
                    id = id.checked_add(1).ok_or_else(exhausted)?;
                    continue;
                }
                return Err(e);
            }
            let next = self.read_newest()?.next_id().ok_or_else(exhausted)?;
            if self.segment_dir(id).exists() || id < next {
                fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
                id = id.max(next).max(id.checked_add(1).ok_or_else(exhausted)?);
                continue;
            }
            return Ok((id, tmp));
        }
        Err(exhausted())
    }

    /// Marks a committed segment as no longer being written (its `writer` file goes).
    pub(super) fn release(&self, id: u64) -> Result<(), StoreError> {
        let path = self.segment_dir(id).join(WRITER);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }
}

/// Whether the partial folder at `path` is a claim whose writer never named itself: no
/// `writer` file, at most a `writer.part` (a writer killed between the `mkdir` and the rename
/// of its complete `writer` file). Such a claim is removed by [`remove_unstarted`].
pub(super) fn unstarted(path: &Path) -> bool {
    fs::read_dir(path).is_ok_and(|mut entries| {
        entries.all(|e| e.is_ok_and(|e| e.file_name() == std::ffi::OsStr::new(WRITER_PART)))
    })
}

/// Removes a claim [`unstarted`] found: its `writer.part`, then the folder with `remove_dir`,
/// which fails (`DirectoryNotEmpty`) if its writer renamed the file into place meanwhile; a
/// writer that finds its `writer.part` gone claims the next id instead.
pub(super) fn remove_unstarted(path: &Path) -> io::Result<()> {
    match fs::remove_file(path.join(WRITER_PART)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::remove_dir(path)
}

/// Whether the segment folder at `path` was left by a writer that is gone: its `writer` file
/// names a process of this machine that no longer runs (or a boot before this one), or nothing
/// in it changed for [`ABANDONED_AFTER`].
pub(super) fn abandoned(path: &Path) -> bool {
    if let Ok(text) = fs::read_to_string(path.join(WRITER)) {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
                .unwrap_or_default()
        };
        let m = me();
        let here = !m.host.is_empty() && field("host") == m.host && !m.boot.is_empty();
        let proc_fs = Path::new("/proc/self").exists();
        if here && proc_fs {
            if field("boot") != m.boot {
                return true;
            }
            if let Ok(pid) = field("pid").parse::<u32>() {
                if pid == m.pid {
                    return false;
                }
                if !Path::new("/proc").join(pid.to_string()).exists() {
                    return true;
                }
            }
        }
    }
    untouched_for(path, ABANDONED_AFTER)
}

/// Whether neither `path` nor anything directly in it was modified within `age`.
pub(super) fn untouched_for(path: &Path, age: Duration) -> bool {
    let recent = |p: &Path| {
        fs::symlink_metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_none_or(|elapsed| elapsed < age)
    };
    if recent(path) {
        return false;
    }
    match fs::read_dir(path) {
        Ok(entries) => entries.filter_map(Result::ok).all(|e| !recent(&e.path())),
        Err(_) => true,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

pub(super) fn sync_dir(path: &Path) -> Result<(), StoreError> {
    // Directories cannot be fsynced on every platform; where they can, it makes the rename durable.
    match File::open(path).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) if cfg!(windows) => {
            let _ = e;
            Ok(())
        }
        // FUSE mounts (sshfs) may not implement fsync on a folder.
        Err(e) if e.kind() == io::ErrorKind::Unsupported => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Creates `path` with `bytes` unless it exists: `Ok(false)` when it does.
fn create_exclusive(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let mut file = match File::create_new(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_round_trip_and_nothing_else_parses() {
        assert_eq!(parse_generation("00000007.json"), Some(7));
        assert_eq!(parse_generation("123456789.json"), Some(123_456_789));
        assert_eq!(parse_generation("7.json"), None);
        assert_eq!(parse_generation("00000007.json.x.tmp"), None);
        assert_eq!(parse_generation("notes.json"), None);
        assert!(is_temporary(&unique("00000007")));
        assert!(is_temporary(&unique(MANIFEST)));
        assert!(!is_temporary("notes.tmp"));
        assert!(!is_temporary("00000007.json"));
    }

    #[test]
    fn a_folder_of_a_live_writer_is_not_abandoned_and_one_of_a_dead_one_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let m = me();
        let write = |pid: u32| {
            fs::write(
                dir.path().join(WRITER),
                format!("host {}\nboot {}\npid {pid}\n", m.host, m.boot),
            )
            .expect("write")
        };
        write(m.pid);
        assert!(!abandoned(dir.path()), "this very process");
        if Path::new("/proc/self").exists() && !m.host.is_empty() && !m.boot.is_empty() {
            // Pids wrap far below this on Linux (pid_max is at most 2^22).
            write(u32::MAX - 1);
            assert!(abandoned(dir.path()), "a pid that runs nothing");
        }
        fs::remove_file(dir.path().join(WRITER)).expect("remove");
        assert!(!abandoned(dir.path()), "no writer file, fresh: kept");
    }

    /// A claim whose writer was killed before its `writer` file was complete holds nothing or
    /// a `writer.part`: it is unstarted and removed; once the file is in place it is not.
    #[test]
    fn a_claim_without_a_complete_writer_file_is_unstarted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let claim = dir.path().join("claim");
        fs::create_dir(&claim).expect("mkdir");
        assert!(unstarted(&claim), "empty");
        fs::write(claim.join(WRITER_PART), "host h\nbo").expect("write");
        assert!(unstarted(&claim), "a half-written writer.part");
        remove_unstarted(&claim).expect("removed");
        assert!(!claim.exists());

        fs::create_dir(&claim).expect("mkdir");
        fs::write(claim.join(WRITER), "host h\nboot b\npid 1\n").expect("write");
        assert!(!unstarted(&claim), "named");
        let err = remove_unstarted(&claim).expect_err("a named claim stays");
        assert_eq!(err.kind(), io::ErrorKind::DirectoryNotEmpty);
        assert!(claim.join(WRITER).is_file());
    }
}

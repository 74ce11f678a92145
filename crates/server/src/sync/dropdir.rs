//! The watched directory (`CLEARWAY_SYNC_DROP_DIR`, files of `CLEARWAY_SYNC_ORG`): a
//! leader-only loop (lease `sync-drop`) polls `<dir>/<kind>/` (`navs`, `holdings`,
//! `schedules`, `preferences`), imports each file once it is complete, then moves it to
//! `<dir>/processed/` (applied, or a duplicate) or `<dir>/refused/`, with
//! `<name>.result.json` (the file's report) beside it.
//!
//! A file still being written is never read half: a file is taken only when its size and
//! modification time are the same as at the previous poll, and names ending `.part` or
//! starting with `.` are skipped (so a writer may also write `x.csv.part` and rename it).
//! Files live behind [`DropSource`]: a local directory ([`LocalDir`]) or an SFTP server
//! ([`super::sftp::SftpDir`]), each polled with its own memory of the previous poll.

pub use crate::state::SyncDropConfig;
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use clearway_app::sync::{import_file, SyncFileReport};
use clearway_core::sync::{FileKind, FileStatus, Source};
use clearway_store::{Actor, Db};
use tokio::sync::watch;

use super::dto::SyncFileView;
use super::sftp::SftpDir;
use crate::leader::Leader;

/// A file seen in a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    pub kind: FileKind,
    pub name: String,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// A place files are dropped in.
pub trait DropSource: Send + Sync {
    /// The files present now, per kind.
    fn list(&self) -> io::Result<Vec<Candidate>>;
    /// A file's bytes.
    fn read(&self, c: &Candidate) -> io::Result<Vec<u8>>;
    /// Moves the file out of the way with its report (`refused`: to the refused place).
    fn finish(&self, c: &Candidate, refused: bool, result_json: &[u8]) -> io::Result<()>;
}

/// A local directory.
pub struct LocalDir(pub PathBuf);

impl LocalDir {
    fn path(&self, c: &Candidate) -> PathBuf {
        self.0.join(c.kind.folder()).join(&c.name)
    }
}

pub(crate) fn skipped(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".part") || name.ends_with(".result.json")
}

impl DropSource for LocalDir {
    fn list(&self) -> io::Result<Vec<Candidate>> {
        let mut out = Vec::new();
        for kind in FileKind::ALL {
            let dir = self.0.join(kind.folder());
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                let meta = entry.metadata()?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if !meta.is_file() || skipped(&name) {
                    continue;
                }
                out.push(Candidate {
                    kind: *kind,
                    name,
                    size: meta.len(),
                    modified: meta.modified().ok(),
                });
            }
        }
        out.sort_by(|a, b| (a.modified, &a.name).cmp(&(b.modified, &b.name)));
        Ok(out)
    }

    fn read(&self, c: &Candidate) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(c))
    }

    fn finish(&self, c: &Candidate, refused: bool, result_json: &[u8]) -> io::Result<()> {
        let to = self.0.join(if refused { "refused" } else { "processed" });
        std::fs::create_dir_all(&to)?;
        let mut target = to.join(&c.name);
        if target.exists() {
            // The same name dropped again (other content): keep both.
            let stamp = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            target = to.join(format!("{stamp}-{}", c.name));
        }
        let result = PathBuf::from(format!("{}.result.json", target.display()));
        std::fs::write(&result, result_json)?;
        std::fs::rename(self.path(c), &target)
    }
}

/// What the previous poll saw: a file is taken when it is unchanged since.
pub type Seen = HashMap<(FileKind, String), (u64, Option<SystemTime>)>;

/// One poll: imports every file unchanged since the previous poll; returns their reports.
/// A file whose import failed (the database down) stays for the next poll. The source is
/// called off the runtime (an SFTP server answers over the network, blocking).
pub async fn poll_once(
    db: &Db,
    actor: &Actor,
    source: &Arc<dyn DropSource>,
    seen: &mut Seen,
) -> io::Result<Vec<SyncFileReport>> {
    let now = blocking(source, |s| s.list()).await?;
    let mut ready = Vec::new();
    let mut next = Seen::new();
    for c in now {
        let key = (c.kind, c.name.clone());
        if seen.get(&key) == Some(&(c.size, c.modified)) {
            ready.push(c);
        } else {
            next.insert(key, (c.size, c.modified));
        }
    }
    *seen = next;
    let mut out = Vec::new();
    for c in ready {
        let bytes = {
            let c = c.clone();
            blocking(source, move |s| s.read(&c)).await?
        };
        match import_file(db, actor, c.kind, &c.name, &bytes, Source::Drop, false).await {
            Ok(report) => {
                let json =
                    serde_json::to_vec_pretty(&SyncFileView::from(&report)).unwrap_or_default();
                let refused = report.status == FileStatus::Refused;
                let done = c.clone();
                blocking(source, move |s| s.finish(&done, refused, &json)).await?;
                tracing::info!(file = %c.name, kind = %c.kind, status = %report.status, rows = report.rows_total, "sync file imported");
                out.push(report);
            }
            Err(e) => {
                tracing::error!(file = %c.name, error = %e, "sync file import failed; retried at the next poll")
            }
        }
    }
    Ok(out)
}

async fn blocking<T: Send + 'static>(
    source: &Arc<dyn DropSource>,
    f: impl FnOnce(&dyn DropSource) -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let s = source.clone();
    tokio::task::spawn_blocking(move || f(s.as_ref()))
        .await
        .map_err(io::Error::other)?
}

/// The configured sources, each with a name for logs.
fn sources(config: &SyncDropConfig) -> Vec<(String, Arc<dyn DropSource>)> {
    let mut out: Vec<(String, Arc<dyn DropSource>)> = Vec::new();
    if let Some(dir) = &config.dir {
        out.push((dir.display().to_string(), Arc::new(LocalDir(dir.clone()))));
    }
    if let Some(sftp) = &config.sftp {
        out.push((sftp.display(), Arc::new(SftpDir::new(sftp.clone()))));
    }
    out
}

/// Polls the sources while holding the `sync-drop` lease, until shutdown.
pub async fn run(
    db: Db,
    config: SyncDropConfig,
    leader: Arc<Leader>,
    mut shutdown: watch::Receiver<bool>,
) {
    let sources = sources(&config);
    let actor = Actor::system(&config.org_id);
    let mut seen: Vec<Seen> = sources.iter().map(|_| Seen::new()).collect();
    loop {
        // The watch guard is dropped before awaiting the release (it is not Send).
        let stop = tokio::select! {
            _ = tokio::time::sleep(config.poll) => false,
            _ = shutdown.wait_for(|stop| *stop) => true,
        };
        if stop {
            leader.release().await;
            return;
        }
        if !leader.holds().await {
            seen.iter_mut().for_each(Seen::clear);
            continue;
        }
        for ((name, source), seen) in sources.iter().zip(seen.iter_mut()) {
            if let Err(e) = poll_once(&db, &actor, source, seen).await {
                tracing::error!(source = %name, error = %e, "sync drop poll failed");
            }
        }
    }
}

//! An SFTP server as a drop source (`CLEARWAY_SYNC_SFTP_URL`): the same layout as the local
//! directory (`<path>/<kind>/`, then `processed/` or `refused/` with `<name>.result.json`),
//! through libssh2 (the `ssh2` crate; blocking, so the drop loop calls it off the runtime).
//!
//! Before anything is sent, the server's host key must have the configured SHA-256 fingerprint
//! (`CLEARWAY_SYNC_SFTP_HOST_KEY`, as `ssh-keygen -lf` prints it: `SHA256:…`); a server that
//! answers with another key is refused (no trust on first use). Authentication is by private
//! key (`CLEARWAY_SYNC_SFTP_KEY_FILE`). A session that failed is dropped and the next call
//! connects again.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine;
use clearway_core::sync::FileKind;
use sha2::{Digest, Sha256};
use ssh2::{Session, Sftp};

use super::dropdir::{skipped, Candidate, DropSource};

pub use crate::state::SftpConfig;

impl SftpConfig {
    /// From `sftp://user@host[:port]/path`, the key file and the `SHA256:…` fingerprint.
    pub fn parse(url: &str, key_file: &Path, host_key: &str) -> Result<SftpConfig, String> {
        let rest = url
            .strip_prefix("sftp://")
            .ok_or_else(|| format!("'{url}' is not an sftp:// URL"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = authority
            .split_once('@')
            .filter(|(u, _)| !u.is_empty())
            .ok_or_else(|| format!("'{url}' names no user (sftp://user@host/path)"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("'{p}' is not a port number"))?,
            ),
            None => (hostport, 22),
        };
        if host.is_empty() {
            return Err(format!("'{url}' names no host"));
        }
        let fingerprint = host_key
            .strip_prefix("SHA256:")
            .filter(|f| f.len() == 43)
            .ok_or_else(|| {
                format!("host key '{host_key}' is not a SHA-256 fingerprint (SHA256: and 43 characters, as ssh-keygen -lf prints it)")
            })?;
        Ok(SftpConfig {
            host: host.to_string(),
            port,
            user: user.to_string(),
            root: if path.is_empty() {
                ".".into()
            } else {
                format!("/{path}")
            },
            key_file: key_file.to_path_buf(),
            host_key_sha256: fingerprint.to_string(),
            timeout: Duration::from_secs(30),
        })
    }

    /// `sftp://user@host:port/path`, for logs (no secret in it).
    pub fn display(&self) -> String {
        format!(
            "sftp://{}@{}:{}{}",
            self.user, self.host, self.port, self.root
        )
    }
}

/// A drop directory on an SFTP server.
pub struct SftpDir {
    config: SftpConfig,
    conn: Mutex<Option<(Session, Sftp)>>,
}

impl SftpDir {
    pub fn new(config: SftpConfig) -> SftpDir {
        SftpDir {
            config,
            conn: Mutex::new(None),
        }
    }

    fn path(&self, c: &Candidate) -> PathBuf {
        Path::new(&self.config.root)
            .join(c.kind.folder())
            .join(&c.name)
    }

    /// Runs `f` on the session, connecting first when there is none; a failure drops it.
    fn with<T>(&self, f: impl FnOnce(&Sftp) -> io::Result<T>) -> io::Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let session = match conn.take() {
            Some(s) => s,
            None => self.connect()?,
        };
        let out = f(&session.1);
        // A missing file says nothing about the session; any other failure may.
        if !out
            .as_ref()
            .is_err_and(|e| e.kind() != io::ErrorKind::NotFound)
        {
            *conn = Some(session);
        }
        out
    }

    fn connect(&self) -> io::Result<(Session, Sftp)> {
        let c = &self.config;
        let addr = (c.host.as_str(), c.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::other(format!("{} does not resolve", c.host)))?;
        let tcp = TcpStream::connect_timeout(&addr, c.timeout)?;
        let mut session = Session::new()?;
        session.set_tcp_stream(tcp);
        session.set_timeout(u32::try_from(c.timeout.as_millis()).unwrap_or(u32::MAX));
        session.handshake()?;
        let seen = session
            .host_key()
            .map(|(key, _)| fingerprint(key))
            .ok_or_else(|| io::Error::other("the server sent no host key"))?;
        if seen != c.host_key_sha256 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{}: host key SHA256:{seen} is not the configured SHA256:{}; nothing sent",
                    c.display(),
                    c.host_key_sha256
                ),
            ));
        }
        session.userauth_pubkey_file(&c.user, None, &c.key_file, None)?;
        if !session.authenticated() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{}: the key was not accepted", c.display()),
            ));
        }
        let sftp = session.sftp()?;
        Ok((session, sftp))
    }
}

/// The SHA-256 fingerprint of a host key blob, as OpenSSH prints it (base64, no padding).
pub fn fingerprint(key: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(key))
}

impl DropSource for SftpDir {
    fn list(&self) -> io::Result<Vec<Candidate>> {
        self.with(|sftp| {
            let mut out = Vec::new();
            for kind in FileKind::ALL {
                let dir = Path::new(&self.config.root).join(kind.folder());
                let entries = match sftp.readdir(&dir).map_err(io::Error::from) {
                    Ok(e) => e,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for (path, stat) in entries {
                    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    if !stat.is_file() || skipped(name) {
                        continue;
                    }
                    out.push(Candidate {
                        kind: *kind,
                        name: name.to_string(),
                        size: stat.size.unwrap_or(0),
                        modified: stat
                            .mtime
                            .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s)),
                    });
                }
            }
            out.sort_by(|a, b| (a.modified, &a.name).cmp(&(b.modified, &b.name)));
            Ok(out)
        })
    }

    fn read(&self, c: &Candidate) -> io::Result<Vec<u8>> {
        self.with(|sftp| {
            let mut bytes = Vec::new();
            sftp.open(self.path(c))?.read_to_end(&mut bytes)?;
            Ok(bytes)
        })
    }

    fn finish(&self, c: &Candidate, refused: bool, result_json: &[u8]) -> io::Result<()> {
        self.with(|sftp| {
            let to =
                Path::new(&self.config.root).join(if refused { "refused" } else { "processed" });
            if sftp.stat(&to).is_err() {
                sftp.mkdir(&to, 0o750)?;
            }
            let mut target = to.join(&c.name);
            if sftp.stat(&target).is_ok() {
                // The same name dropped again (other content): keep both.
                let stamp = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                target = to.join(format!("{stamp}-{}", c.name));
            }
            let result = PathBuf::from(format!("{}.result.json", target.display()));
            sftp.create(&result)?.write_all(result_json)?;
            sftp.rename(&self.path(c), &target, None)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

    #[test]
    fn the_url_names_user_host_port_and_path() {
        let c = SftpConfig::parse(
            "sftp://admin@files.example:2222/drop/in",
            Path::new("/k"),
            FP,
        )
        .unwrap();
        assert_eq!(
            (c.user.as_str(), c.host.as_str(), c.port, c.root.as_str()),
            ("admin", "files.example", 2222, "/drop/in")
        );
        assert_eq!(c.host_key_sha256, &FP[7..]);
        let c = SftpConfig::parse("sftp://a@h", Path::new("/k"), FP).unwrap();
        assert_eq!((c.port, c.root.as_str()), (22, "."));
        for bad in [
            "http://a@h/x",
            "sftp://h/x",
            "sftp://a@:22/x",
            "sftp://a@h:port/x",
        ] {
            assert!(
                SftpConfig::parse(bad, Path::new("/k"), FP).is_err(),
                "{bad}"
            );
        }
        assert!(SftpConfig::parse("sftp://a@h/x", Path::new("/k"), "MD5:ab:cd").is_err());
    }

    #[test]
    fn a_fingerprint_is_openssh_s_sha256_form() {
        // SHA-256 of the empty input, base64 without padding.
        assert_eq!(fingerprint(b""), &FP[7..]);
    }
}

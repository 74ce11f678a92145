//! The SMTP sink (`scripts/smtp-sink.py`, a real SMTP server process) for the API tests that
//! read the mail the server sends: started on a port, killed and cleaned up on drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Sink {
    child: Child,
    dir: PathBuf,
}

impl Sink {
    /// Starts the sink on `port`, storing each accepted message under a fresh temp directory.
    pub fn start(port: u16) -> Sink {
        let dir =
            std::env::temp_dir().join(format!("clearway-api-mail-{}", clearway_store::new_id()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 scripts/smtp-sink.py (pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "{line:?}");
        Sink { child, dir }
    }

    /// Every message received so far (each as stored: recipients, message, decoded parts).
    pub fn mails(&self) -> Vec<String> {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// Mails to `address` whose text contains `needle`.
    pub fn mails_to(&self, address: &str, needle: &str) -> Vec<String> {
        let head = format!("X-Sink-Rcpt: {address}\r\n");
        self.mails()
            .into_iter()
            .filter(|m| m.starts_with(&head) && m.contains(needle))
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

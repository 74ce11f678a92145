//! OpenSSH's sshd for the SFTP drop tests: its own host and client keys (ssh-keygen), a free
//! port on 127.0.0.1, key-only login of the current user, `internal-sftp`. Where sshd is not
//! installed the test says so and skips, unless `CLEARWAY_TEST_REQUIRE_SSHD` is set (`.ci/run`
//! installs openssh-server and sets it, so there the test always runs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clearway_server::sync::sftp::SftpConfig;

const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    child: Child,
    port: u16,
    dir: PathBuf,
    user: String,
    fingerprint: String,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "clearway-test", "-f"])
        .arg(path));
}

impl Sshd {
    /// Starts sshd with its files under `dir`; None (said) where sshd is not installed.
    pub fn start(dir: &Path) -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            assert!(
                std::env::var_os("CLEARWAY_TEST_REQUIRE_SSHD").is_none(),
                "CLEARWAY_TEST_REQUIRE_SSHD is set but {SSHD} is missing"
            );
            eprintln!("SFTP TEST SKIPPED: no {SSHD} (apt-get install openssh-server)");
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        // sshd's privilege-separation directory (made by the package's service, not by sshd).
        let _ = std::fs::create_dir_all("/run/sshd");
        let (host, client) = (dir.join("host_ed25519"), dir.join("client_ed25519"));
        keygen(&host);
        keygen(&client);
        std::fs::copy(dir.join("client_ed25519.pub"), dir.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let user = run(Command::new("id").arg("-un")).trim().to_string();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n\
             AllowUsers {user}\nSubsystem sftp internal-sftp\n",
            host = host.display(),
            dir = dir.display(),
        );
        std::fs::write(dir.join("sshd_config"), config).unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sshd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // `256 SHA256:… clearway-test (ED25519)`
        let listed = run(Command::new("ssh-keygen")
            .args(["-E", "sha256", "-lf"])
            .arg(dir.join("host_ed25519.pub")));
        let fingerprint = listed.split_whitespace().nth(1).unwrap().to_string();
        Some(Sshd {
            child,
            port,
            dir: dir.to_path_buf(),
            user,
            fingerprint,
        })
    }

    /// The drop source's settings for the directory `root` on this server.
    pub fn config(&self, root: &Path) -> SftpConfig {
        let url = format!(
            "sftp://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            root.display()
        );
        SftpConfig::parse(&url, &self.dir.join("client_ed25519"), &self.fingerprint).unwrap()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

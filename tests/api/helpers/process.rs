//! The fbbridge binary in its own process, as operators run it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A gateway in its own process, SIGKILLed on drop.
pub struct Process {
    child: Child,
}

impl Process {
    pub async fn start(config: &std::path::Path, port: u16) -> Self {
        let log = std::fs::File::create(config.with_extension(format!("{port}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_fbbridge"))
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the fbbridge binary starts");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
            {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "gateway did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child }
    }

    /// `fbbridge worker`: delivery workers alone, no HTTP.
    pub fn worker(config: &std::path::Path) -> Self {
        let log = std::fs::File::create(config.with_extension("worker.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_fbbridge"))
            .args(["worker", "--count", "2", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the fbbridge binary starts");
        Self { child }
    }

    /// `fbbridge serve` on a free loopback port with `toml` (`{port}` in it is replaced by
    /// the port); answers the process, its port and the folder that holds its config.
    pub async fn serve(toml: &str) -> (Self, u16, tempfile::TempDir) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, toml.replace("{port}", &port.to_string())).unwrap();
        (Self::start(&path, port).await, port, dir)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<u64> = rest
            .split(' ')
            .skip(11)
            .take(2)
            .map(|f| f.parse().unwrap())
            .collect();
        let ticks_per_sec = 100; // USER_HZ on Linux
        Duration::from_millis((fields[0] + fields[1]) * 1000 / ticks_per_sec)
    }

    pub fn sigkill(mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

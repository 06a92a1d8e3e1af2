//! A 3-master Redis Cluster on private loopback ports, started and joined by the harness.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A 3-master Redis Cluster on loopback ports, started with `redis-server
/// --cluster-enabled yes` and joined by `redis-cli --cluster create`; killed on drop.
pub struct RedisCluster {
    nodes: Vec<Child>,
    pub ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

fn port_pair_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
}

impl RedisCluster {
    pub fn start() -> Self {
        Self::start_with_replicas(0)
    }

    /// Three masters, each with `replicas` replicas (promoted when their master fails).
    pub fn start_with_replicas(replicas: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        // Ports are handed out once per process, so parallel tests never pick the same.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = 20_000 + (std::process::id() as u64 * 131) % 9_000;
        let mut ports = Vec::new();
        while ports.len() < 3 * (1 + replicas) {
            let candidate =
                (20_000 + (base + NEXT.fetch_add(1, Ordering::SeqCst) - 20_000) % 9_990) as u16;
            if port_pair_free(candidate) {
                ports.push(candidate);
            }
        }
        let mut nodes = Vec::new();
        for port in &ports {
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                ])
                .args([
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
            nodes.push(child);
        }
        let cluster = Self {
            nodes,
            ports,
            _dir: dir,
        };
        for port in &cluster.ports {
            cluster.wait_for(*port, "PING", "PONG");
        }
        let addrs: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .expect("redis-cli runs (package redis-tools)");
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for port in &cluster.ports {
            cluster.wait_for(*port, "CLUSTER INFO", "cluster_state:ok");
        }
        cluster
    }

    fn wait_for(&self, port: u16, command: &str, expect: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("redis-cli")
                .args(["-p", &port.to_string()])
                .args(command.split(' '))
                .output();
            if let Ok(out) = out {
                if String::from_utf8_lossy(&out.stdout).contains(expect) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {port} never answered {expect}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The ports of the nodes that are masters now.
    pub fn masters(&self) -> Vec<u16> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.ports[0].to_string(), "CLUSTER", "NODES"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("master") && !l.contains("fail"))
            .filter_map(|l| {
                let addr = l.split(' ').nth(1)?;
                addr.split(['@', ':']).nth(1)?.parse().ok()
            })
            .collect()
    }

    /// SIGKILLs the node on `port`.
    pub fn kill(&mut self, port: u16) {
        let i = self.ports.iter().position(|p| *p == port).expect("a node");
        let _ = self.nodes[i].kill();
        let _ = self.nodes[i].wait();
    }

    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// A `[store]` section for this cluster.
    pub fn store_section(&self) -> String {
        let urls: Vec<String> = self.urls().iter().map(|u| format!("\"{u}\"")).collect();
        format!(
            "[store]\nbackend = \"redis\"\ncluster_urls = [{}]\npartitions = 16\ntimeout_ms = 1000\n",
            urls.join(", ")
        )
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}

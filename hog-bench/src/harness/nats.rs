//! Real `nats-server` processes on loopback, for the JetStream figure and
//! tests: one node, or a cluster whose nodes can be killed with SIGKILL and
//! restarted on their own data.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::http::get;
use super::wait::wait_every;

/// Whether `nats-server` is installed.
pub fn installed() -> bool {
    Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One `nats-server` with JetStream.
pub struct Node {
    /// The node's server name (`n1`…).
    pub name: String,
    /// Its client port.
    pub port: u16,
    /// Its monitoring port.
    pub http: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Starts the node (see [`Nats::wait_healthy`]).
    pub fn start(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Err(format!("{} is running", self.name));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let child = Command::new("nats-server")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("nats-server: {e}"))?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the node with SIGKILL, if it runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the node runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Whether the node says it is healthy (JetStream included).
    pub fn healthy(&self) -> bool {
        get(self.http, "/healthz", None)
            .is_some_and(|(status, body)| status == 200 && body.contains("ok"))
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One node or a cluster of nodes.
pub struct Nats {
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Nats {
    /// `n` nodes with JetStream, their files in `dir` (a cluster when
    /// `n > 1`), on ports `port` gives; started and healthy.
    pub fn start(dir: &Path, n: usize, port: impl FnMut() -> u16) -> Result<Nats, String> {
        Self::start_with(dir, n, port, "")
    }

    /// [`start`](Self::start), with `settings` added to every node's
    /// configuration (an `authorization` block, say).
    pub fn start_with(
        dir: &Path,
        n: usize,
        mut port: impl FnMut() -> u16,
        settings: &str,
    ) -> Result<Nats, String> {
        let routes: Vec<u16> = (0..n).map(|_| port()).collect();
        let route_list: Vec<String> = routes
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::with_capacity(n);
        for (i, route) in routes.iter().enumerate() {
            let name = format!("n{}", i + 1);
            let (client, http) = (port(), port());
            let store = dir.join(&name);
            std::fs::create_dir_all(&store).map_err(|e| format!("{}: {e}", store.display()))?;
            let mut text = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{client}\nhttp: 127.0.0.1:{http}\n\
                 jetstream {{\n  store_dir: \"{}\"\n}}\n{settings}\n",
                store.display()
            );
            if n > 1 {
                text.push_str(&format!(
                    "cluster {{\n  name: hog\n  listen: 127.0.0.1:{route}\n  routes: [{}]\n}}\n",
                    route_list.join(", ")
                ));
            }
            let config = dir.join(format!("{name}.conf"));
            std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
            nodes.push(Node {
                log: dir.join(format!("{name}.log")),
                name,
                port: client,
                http,
                config,
                child: None,
            });
        }
        let mut nats = Nats { nodes };
        for node in &mut nats.nodes {
            node.start()?;
        }
        nats.wait_healthy()?;
        Ok(nats)
    }

    /// Waits until every running node is healthy.
    pub fn wait_healthy(&self) -> Result<(), String> {
        wait_every(
            Duration::from_millis(50),
            Duration::from_secs(60),
            "the NATS nodes to be healthy",
            || self.nodes.iter().filter(|n| n.running()).all(Node::healthy),
        )
    }

    /// The client URLs of all nodes.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Node::url).collect()
    }

    /// The URLs as a TOML array.
    pub fn servers_toml(&self) -> String {
        let quoted: Vec<String> = self.urls().iter().map(|u| format!("\"{u}\"")).collect();
        format!("[{}]", quoted.join(", "))
    }

    /// What a running node's monitoring endpoint says of JetStream stream
    /// `stream` (`cluster.leader`, `state.bytes`, …).
    pub fn stream_detail(&self, stream: &str) -> Option<serde_json::Value> {
        self.nodes.iter().filter(|n| n.running()).find_map(|node| {
            let (_, body) = get(node.http, "/jsz?accounts=true&streams=true", None)?;
            let json: serde_json::Value = serde_json::from_str(&body).ok()?;
            let details = json["account_details"].as_array()?;
            details
                .iter()
                .flat_map(|a| a["stream_detail"].as_array().into_iter().flatten())
                .find(|s| s["name"] == stream)
                .cloned()
        })
    }

    /// The index of the node leading JetStream stream `stream`.
    pub fn leader_of(&self, stream: &str) -> Option<usize> {
        let detail = self.stream_detail(stream)?;
        let leader = detail["cluster"]["leader"].as_str()?;
        self.nodes.iter().position(|n| n.name == leader)
    }
}

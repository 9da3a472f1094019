//! Real `nats-server` processes on loopback for the JetStream tests: one
//! node, or a three-node cluster whose nodes can be killed with SIGKILL
//! and restarted on their own data.
//!
//! Used as `#[path = "support/nats.rs"] mod nats;` next to `mod support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{free_port, wait_until};

/// Whether `nats-server` is installed; a test without it says it is
/// skipped.
pub fn available(test: &str) -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("{test}: skipped, nats-server is not installed (apt-get install nats-server)");
    }
    found
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
    /// Starts the node and waits until JetStream answers health checks.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is running", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        self.child = Some(
            Command::new("nats-server")
                .arg("-c")
                .arg(&self.config)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("nats-server starts"),
        );
    }

    /// Kills the node with SIGKILL.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Whether the node says it is healthy (JetStream included).
    pub fn healthy(&self) -> bool {
        crate::observe::try_get(self.http, "/healthz", None)
            .is_some_and(|(status, body)| status == 200 && body.contains("ok"))
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One node or a cluster of nodes.
pub struct Nats {
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Nats {
    /// `n` nodes with JetStream in `dir` (a cluster when `n > 1`),
    /// started and healthy.
    pub fn start(dir: &Path, n: usize) -> Nats {
        let routes: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let route_list = routes
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(", ");
        let nodes = (0..n)
            .map(|i| {
                let name = format!("n{}", i + 1);
                let (port, http) = (free_port(), free_port());
                let store = dir.join(&name);
                std::fs::create_dir_all(&store).unwrap();
                let cluster = if n > 1 {
                    format!(
                        "cluster {{\n  name: hog\n  listen: 127.0.0.1:{}\n  routes: [{route_list}]\n}}\n",
                        routes[i]
                    )
                } else {
                    String::new()
                };
                let text = format!(
                    "server_name: {name}\nlisten: 127.0.0.1:{port}\nhttp: 127.0.0.1:{http}\n\
                     jetstream {{\n  store_dir: \"{}\"\n}}\n{cluster}",
                    store.display()
                );
                let config = dir.join(format!("{name}.conf"));
                std::fs::write(&config, text).unwrap();
                Node {
                    log: dir.join(format!("{name}.log")),
                    name,
                    port,
                    http,
                    config,
                    child: None,
                }
            })
            .collect();
        let mut nats = Nats { nodes };
        for node in &mut nats.nodes {
            node.start();
        }
        nats.wait_healthy();
        nats
    }

    /// Waits until every running node is healthy.
    pub fn wait_healthy(&self) {
        wait_until(60, "the NATS nodes to be healthy", || {
            self.nodes
                .iter()
                .filter(|n| n.child.is_some())
                .all(Node::healthy)
        });
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

    /// The index of the node leading JetStream stream `stream`, as a running
    /// node's monitoring endpoint reports it.
    pub fn leader_of(&self, stream: &str) -> Option<usize> {
        let path = "/jsz?accounts=true&streams=true";
        for node in self.nodes.iter().filter(|n| n.child.is_some()) {
            let Some((200, body)) = crate::observe::try_get(node.http, path, None) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
                continue;
            };
            let leader = json["account_details"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|a| a["stream_detail"].as_array().into_iter().flatten())
                .find(|s| s["name"] == stream)
                .and_then(|s| s["cluster"]["leader"].as_str().map(str::to_string));
            if let Some(leader) = leader {
                return self.nodes.iter().position(|n| n.name == leader);
            }
        }
        None
    }
}

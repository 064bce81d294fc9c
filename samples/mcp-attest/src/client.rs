//! A minimal MCP client over stdio: newline-delimited JSON-RPC 2.0 (the MCP stdio transport).

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// An MCP session with a server process.
#[derive(Debug)]
pub struct StdioClient {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl StdioClient {
    /// Spawns `command` with piped stdio and performs the MCP `initialize` handshake; returns
    /// the client and the server's `initialize` result.
    pub fn start(mut command: Command) -> std::io::Result<(Self, Value)> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // A just-written executable can be briefly "busy" (ETXTBSY) while another thread's
        // fork still holds the write descriptor; retry a few times.
        let mut tries = 0;
        let mut child = loop {
            match command.spawn() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 10 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("no stdio pipes"));
        };
        let mut c = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            next_id: 1,
        };
        let init = c.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "mcp-attest-sample", "version": "0.1.0"},
            }),
        )?;
        c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok((c, init))
    }

    fn send(&mut self, msg: &Value) -> std::io::Result<()> {
        writeln!(self.stdin, "{msg}")?;
        self.stdin.flush()
    }

    /// Sends a request and returns its `result` (a JSON-RPC error becomes an I/O error).
    pub fn request(&mut self, method: &str, params: Value) -> std::io::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let mut line = String::new();
        // Bounded: a server that floods the pipe without a newline is cut off at 1 MiB.
        let n = std::io::Read::take(&mut self.stdout, 1 << 20).read_line(&mut line)?;
        if n == 0 {
            return Err(std::io::Error::other("the server closed stdout"));
        }
        let resp: Value = serde_json::from_str(&line).map_err(std::io::Error::other)?;
        if resp["id"] != json!(id) {
            return Err(std::io::Error::other(format!("unexpected response {resp}")));
        }
        match resp.get("result") {
            Some(r) => Ok(r.clone()),
            None => Err(std::io::Error::other(format!("error response {resp}"))),
        }
    }
}

impl Drop for StdioClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

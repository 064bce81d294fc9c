//! A minimal MCP server over stdio offering one tool, `sum(a, b)`: the server binary the sample
//! client verifies before launching.

use std::io::{BufRead as _, Write as _};

use serde_json::{Value, json};

fn result(id: &Value, method: &str, params: &Value) -> Value {
    match method {
        "initialize" => json!({
            "protocolVersion": params["protocolVersion"].as_str().unwrap_or("2025-06-18"),
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "mcp-tools-stdio", "version": env!("CARGO_PKG_VERSION")},
        }),
        "tools/list" => json!({"tools": [{
            "name": "sum",
            "description": "Sum two integers",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]},
        }]}),
        "tools/call" if params["name"] == "sum" => {
            let a = params["arguments"]["a"].as_i64().unwrap_or(0);
            let b = params["arguments"]["b"].as_i64().unwrap_or(0);
            json!({"content": [{"type": "text", "text": a.saturating_add(b).to_string()}]})
        }
        _ => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "method not found"}})
        }
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let Some(id) = msg.get("id") else { continue }; // a notification
        let method = msg["method"].as_str().unwrap_or_default();
        let r = result(id, method, &msg["params"]);
        let reply = if r.get("error").is_some() {
            r
        } else {
            json!({"jsonrpc": "2.0", "id": id, "result": r})
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}

//! Binary attestation for MCP stdio servers: before an MCP client launches a server binary it
//! verifies the binary's Sigstore bundle with `pinset::attest` (offline, against the trusted root
//! and the build identity the client pins, e.g. from a manifest `[[attestation]]` entry), then
//! runs exactly the bytes it verified ([`launch::verify_server_binary`]). A substituted binary is
//! refused and never executed.
//!
//! [`client::StdioClient`] is a minimal MCP client over stdio (JSON-RPC, one message per line)
//! and `src/bin/mcp-tools-stdio.rs` a minimal MCP server offering one tool, `sum`.

pub mod client;
pub mod launch;

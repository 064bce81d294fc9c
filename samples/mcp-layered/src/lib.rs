//! The layered stack for an MCP server and client (rmcp, streamable HTTP), each layer a pinset
//! part:
//!
//! | layer | proves | where |
//! | --- | --- | --- |
//! | mTLS | the client is an allowed workload (its X.509-SVID, chained to its trust domain's bundle) | [`server`]: a rustls client-cert verifier running pinset's `verify_svid` |
//! | server identity and pins | the server is the expected workload (its SPIFFE ID), issued by a pinned CA of its trust domain | [`client`]: pinset's `PinningConfig` with the manifest's `spiffe` rule |
//! | RFC 9421 | each request comes from the caller's key, unchanged, once | [`signing`]: signed by the client, verified by the server (nonce store) before rmcp sees it |
//! | binary attestation | the server binary is the build the expected workflow signed and logged | [`attest`]: the client verifies its Sigstore bundle before connecting ([`client::connect_attested`]) |
//!
//! The signing key is bound to the mTLS identity: the server accepts a signature only when its
//! `keyid` is the SPIFFE ID of the client certificate on the same connection.

pub mod attest;
pub mod client;
pub mod server;
pub mod signing;
pub mod svid;

/// The host name the server is reached by (it listens on 127.0.0.1).
pub const HOST: &str = "localhost";

/// The MCP endpoint path the server mounts rmcp on.
pub const MCP_PATH: &str = "/mcp";

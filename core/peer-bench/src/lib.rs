//! Benchmarks only: see benches/peer.rs.

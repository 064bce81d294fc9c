//! Shared helpers for the end-to-end tests: certificate factories and CLI runners.

//! One module per subcommand: argument struct plus `run`.

pub mod attest;
pub mod check;
pub mod connect;
pub mod evaluate;
pub mod generate;
pub mod import;
pub mod pin;
pub mod sign;
pub mod update;
pub mod verify;

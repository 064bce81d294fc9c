//! Results on stdout without panicking: `print!`/`println!` panic ("failed printing to stdout",
//! exit 101) when stdout cannot be written (`> /dev/full`, a closed pipe). The `out!`/`outln!`
//! macros return the failure as a [`CliError`] instead (`pinset: writing to stdout: …`, exit 2).

use std::io::Write as _;

use crate::input::CliError;

/// Writes formatted text to stdout.
pub fn write(args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(stdout_error)
}

/// Writes bytes to stdout.
pub fn write_bytes(bytes: &[u8]) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(stdout_error)
}

/// Flushes what stdout still buffers (a last line without a newline); run before exiting.
pub fn flush() -> Result<(), CliError> {
    std::io::stdout().lock().flush().map_err(stdout_error)
}

fn stdout_error(e: std::io::Error) -> CliError {
    CliError(format!("writing to stdout: {e}"))
}

/// `print!` returning `Result<(), CliError>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// `println!` returning `Result<(), CliError>`.
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

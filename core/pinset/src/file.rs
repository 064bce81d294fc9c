//! Bounded reads of the files a manifest names (trust anchors, SPIFFE bundles, attestation
//! roots and keys): the one reader the manifest's checks and the trust-anchor model share.
//! Anything but a regular file is refused before it is opened (a FIFO would block the open, a
//! device never ends), the opened handle is checked again, and at most the bound is read.

use std::io::Read as _;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    /// The path names something other than a regular file (what it names).
    #[error("not a regular file ({0})")]
    NotRegularFile(String),
    /// The file is larger than the bound.
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    /// The file could not be read (the OS's reason).
    #[error("cannot read: {0}")]
    Io(String),
}

/// Reads `path` if it is a regular file of at most `max` bytes.
pub(crate) fn read_regular_file(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(e.to_string());
    let kind = |m: &std::fs::Metadata| -> Result<(), ReadError> {
        if m.is_file() {
            Ok(())
        } else {
            Err(ReadError::NotRegularFile(describe_type(m)))
        }
    };
    kind(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    kind(&file.metadata().map_err(io)?)?;
    let mut buf = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge(max));
    }
    Ok(buf)
}

fn describe_type(m: &std::fs::Metadata) -> String {
    let t = m.file_type();
    if t.is_dir() {
        return "a directory".into();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO".into();
        }
        if t.is_char_device() {
            return "a character device".into();
        }
        if t.is_block_device() {
            return "a block device".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
    }
    "not a file".into()
}

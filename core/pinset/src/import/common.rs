//! What both importers share: the error with its position, the result, the position index and
//! the final self-check.

use crate::manifest::Manifest;

/// Why a configuration cannot be imported. The message is the one Android or OkHttp would
/// give (where they give one), followed by the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at: line {line} col {col}")]
pub struct ImportError {
    /// What is wrong.
    pub message: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

/// An imported manifest plus notes on what was translated.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The equivalent manifest.
    pub manifest: Manifest,
    /// Translation notes (ignored settings, where the manifest is stricter than the source…).
    pub notes: Vec<String>,
}

/// Byte offset → line/column, built once per input (so positions cost O(log n), not a rescan).
pub(super) struct Positions<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Positions<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { src, line_starts }
    }

    /// 1-based line of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.src.len());
        self.line_starts.partition_point(|&s| s <= offset)
    }

    /// 1-based line and character column of a byte offset (the column costs the line's length:
    /// call it for errors, not for every event).
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.line(offset);
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |l| l.chars().count())
            + 1;
        (line, col)
    }

    pub(super) fn error(&self, offset: usize, message: impl Into<String>) -> ImportError {
        let (line, col) = self.line_col(offset);
        ImportError {
            message: message.into(),
            line,
            col,
        }
    }
}

/// The manifest as `pinset import` prints it must pass `pinset check`: parse it back and refuse
/// the import otherwise (an importer bug, never a silently unusable manifest).
pub(super) fn self_check(imported: Imported) -> Result<Imported, ImportError> {
    let text = imported.manifest.to_toml("");
    match Manifest::parse_with(&text, &imported.manifest.origin, None, None) {
        Ok(_) => Ok(imported),
        Err(e) => Err(ImportError {
            message: format!("the imported manifest would not pass `pinset check`: {e}"),
            line: 1,
            col: 1,
        }),
    }
}

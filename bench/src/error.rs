//! The one error type of the bench tools: a message that already says what failed and where.
//!
//! A plain message type instead of a thiserror enum keeps the crate free of proc-macro
//! dependencies (it must build fast beside a running polars build), and no caller here ever needs
//! to match on the kind of failure: every error ends the tool with exit code 2.

use std::fmt;

/// What went wrong, in words fit to print after the tool's name.
#[derive(Debug)]
pub struct BenchError(String);

impl BenchError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// An I/O error on `path`, saying what was being done (`"cannot read"`, `"cannot create"`...).
    pub fn io(action: &str, path: &std::path::Path, err: &std::io::Error) -> Self {
        Self(format!("{action} {}: {err}", path.display()))
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

/// Result with [`BenchError`].
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

//! Exit codes, in one place (the README has the same table).

/// Success: the command did what was asked (for `ingest`, something was ingested or everything
/// was already in the store).
pub(crate) const EXIT_OK: u8 = 0;
/// A policy gate tripped (reserved for gating commands such as `check`).
pub(crate) const EXIT_GATE: u8 = 1;
/// An error: nothing usable was found, a file could not be read or written, bad arguments.
pub const EXIT_ERROR: u8 = 2;

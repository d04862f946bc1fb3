//! The status of a test in a run, as stored (a code) and as shown (a word).

use std::fmt;

/// Final status of a test in a run. Serialized as its word ([`Status::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Passed,
    Failed,
    Error,
    Skipped,
    /// Failed, then passed within the same run.
    Flaky,
}

impl Status {
    pub(crate) const ALL: [Status; 5] = [
        Status::Passed,
        Status::Failed,
        Status::Error,
        Status::Skipped,
        Status::Flaky,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Flaky => "flaky",
        }
    }

    /// The stored code: the position in [`Status::ALL`].
    pub(crate) fn code(self) -> u32 {
        match self {
            Status::Passed => 0,
            Status::Failed => 1,
            Status::Error => 2,
            Status::Skipped => 3,
            Status::Flaky => 4,
        }
    }

    /// The status a stored code stands for.
    pub(crate) fn from_code(code: u32) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.code() == code)
    }

    pub(crate) fn is_failure(self) -> bool {
        matches!(self, Status::Failed | Status::Error)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

//! The vocabulary every layer shares, and depends on nothing else of the crate: a test's status,
//! its keys, its names and the fingerprint of how it failed. The parser's output is folded
//! ([`crate::fold`]) into rows of these, the store keeps them, and the analyses read them back.

pub(crate) mod fingerprint;
pub(crate) mod keys;
pub(crate) mod names;
pub(crate) mod status;

pub(crate) use fingerprint::fingerprint;
pub(crate) use keys::{LastHash, TestKeys, report_key, run_key};
pub(crate) use names::{scope, write_family, write_test_id};
pub(crate) use status::Status;

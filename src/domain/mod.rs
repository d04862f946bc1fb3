//! The vocabulary every layer shares, and depends on nothing else of the crate: a test's status,
//! its keys, its names and the fingerprint of how it failed. The parser's output is folded
//! ([`crate::fold`]) into rows of these, the store keeps them, and the analyses read them back.

pub mod fingerprint;
pub mod keys;
pub mod names;
pub mod status;

pub use fingerprint::fingerprint;
pub use keys::{LastHash, TestKeys, report_key, run_key, test_key};
pub use names::{family_name, scope, write_family, write_test_id};
pub use status::Status;

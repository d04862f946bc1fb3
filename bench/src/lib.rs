//! Benchmark tools for testsift, kept out of the main crate so they build in seconds.
//!
//! - [`synth`] writes a deterministic synthetic CI history (Surefire-shaped JUnit XML plus a
//!   `run.json` per run) together with the ground truth of which tests are flaky or broken.
//! - [`floor`] is the throughput floor: the fastest a bare quick-xml loop can read the same
//!   history, the yardstick `bench/ingest.sh` compares `testsift ingest` against.
//! - [`quality`] scores `testsift flaky`'s verdicts against a synthetic history's ground truth
//!   (precision and recall of `flaky` and `broken`), for `bench/quality.sh`.
//!
//! The binaries in `src/bin/` only parse arguments and call into these modules.

pub mod args;
pub mod error;
pub mod floor;
pub mod quality;
pub mod rng;
pub mod synth;

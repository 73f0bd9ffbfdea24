//! Integration tests of `awaitlet`; see the files next to this one.

/// Every Rust example in the README, compiled and run as a doctest, so that none goes stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

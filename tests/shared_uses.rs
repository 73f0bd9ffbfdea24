//! The `#[async_def]` uses shared with the edition-2021 crate (`tests/edition2021`), compiled and
//! run here as edition 2024: the same source must expand and behave the same under both.

include!("shared/uses.rs");

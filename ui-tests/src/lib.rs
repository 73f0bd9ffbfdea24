//! trybuild cases for `awaitlet`; see `tests/ui.rs`.

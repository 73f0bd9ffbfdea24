//! An edition-2021 crate using `awaitlet`: `#[async_def]` copies the user's tokens with their
//! edition and adds its own, so expansions must work in crates of older editions too. The uses
//! are shared with the edition-2024 tests (`tests/shared_uses.rs`).
#![deny(missing_docs)]

include!("../../shared/uses.rs");

/// `gen` is an ordinary identifier in edition 2021 (a reserved keyword from 2024 on): the user's
/// tokens must keep their own edition inside the expansion.
#[async_def]
pub fn uses_gen_identifier(gen: u32) -> u32 {
    fetch(gen) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_2021_identifiers_survive_the_expansion() {
        assert_eq!(futures::executor::block_on(uses_gen_identifier(41)), 42);
    }
}

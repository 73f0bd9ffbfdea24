//! The compile errors that awaitlet gives without its `tokio` feature; see `ui-tests/README.md`.

#[rustversion::attr(not(stable), ignore)]
#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/fail/*.rs");
}

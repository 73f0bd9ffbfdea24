//! The compile-error and edge-position tests of `#[async_def]` and `awaitlet!`.
//!
//! Runs on the stable toolchain only, the one CI has: rustc's wording moves between releases, so
//! the `.stderr` files are blessed with it (see `ui-tests/README.md`).

#[rustversion::attr(not(stable), ignore)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/fail/*.rs");
    t.pass("tests/pass/*.rs");
}

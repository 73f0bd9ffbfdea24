//! Doc comments, visibility and other attributes stay on the fn; the user's lints apply.
#![deny(missing_docs, unused_must_use)]
//! Crate docs.

/// A public fn with docs.
#[awaitlet::async_def]
#[inline]
#[must_use = "the answer is important"]
pub fn answer() -> u32 {
    42
}

/// A `cfg`'d-out fn is never compiled.
#[cfg(any())]
#[awaitlet::async_def]
pub fn missing() -> u32 {
    compile_error!("cfg'd out")
}

/// An unsafe fn: its body may call unsafe fns.
///
/// # Safety
///
/// None needed; this tests the expansion.
#[awaitlet::async_def]
pub unsafe fn unsafe_answer() -> u32 {
    // SAFETY: `answer_raw` has no preconditions.
    unsafe { answer_raw() }
}

unsafe fn answer_raw() -> u32 {
    43
}

fn main() {
    let n = futures::executor::block_on(answer());
    assert_eq!(n, 42);
    // SAFETY: no preconditions.
    let m = futures::executor::block_on(unsafe { unsafe_answer() });
    assert_eq!(m, 43);
}

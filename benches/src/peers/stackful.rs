//! `stackful` 0.1.5 as a [`Bridge`]: `stackful(|| ..)` runs the sync code, `wait(future)` awaits.
//!
//! The crate needs no bridge of its own. Its stacks are 2 MiB mappings with a guard page (two
//! kernel mappings each); the process keeps one finished stack for the next coroutine.

use std::future::Future;

use super::Bridge;

/// `stackful` as a [`Bridge`].
#[derive(Debug)]
pub struct Stackful;

impl Bridge for Stackful {
    fn run<R: 'static>(body: impl FnOnce() -> R + 'static) -> impl Future<Output = R> + 'static {
        stackful::stackful(body)
    }

    #[inline(always)]
    fn wait<F: Future>(future: F) -> F::Output {
        stackful::wait(future)
    }
}

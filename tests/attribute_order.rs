//! `#[async_def]` above `#[tokio::test]` and `#[tokio::main]`: `async_def` expands first and turns
//! the sync fn into an `async fn`, which is what tokio's attributes need, so the whole body of a
//! test or of `main` runs on a coroutine. (The other order does not compile: tokio's attribute sees
//! a fn without `async` and says that keyword is missing.)

use awaitlet::{async_def, awaitlet};

fn sync_layer(n: u32) -> u32 {
    awaitlet!(tokio::task::yield_now());
    n + 1
}

#[async_def]
#[tokio::test]
fn a_sync_test_body_runs_on_a_coroutine() {
    assert!(awaitlet::in_async_def());
    assert_eq!(sync_layer(1), 2);
}

#[async_def]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
fn on_the_multi_thread_runtime_too() {
    assert_eq!(sync_layer(41), 42);
}

mod sync_main {
    use super::*;

    /// A `main` written as sync code.
    #[async_def]
    #[tokio::main(flavor = "current_thread")]
    pub fn main() -> u32 {
        sync_layer(6) * 6
    }
}

#[test]
fn a_sync_main_runs_on_a_coroutine() {
    assert_eq!(sync_main::main(), 42);
}

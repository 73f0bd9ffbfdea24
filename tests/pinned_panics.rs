//! Panics across the bridge, both ways: a panic in the pinned sync code reaches the caller with its
//! payload (a `JoinError` from `spawn_pinned`, resumed as the same panic by `#[async_def(send)]`),
//! and a panic in a future awaited on the pool thread unwinds into the sync code there.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use awaitlet::tokio::{JoinError, spawn_pinned};
use awaitlet::{async_def, awaitlet};
use futures::FutureExt;

use common::panic_message;

#[derive(Debug, PartialEq)]
struct Custom(u32);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_join_error_with_the_payload() {
    let error: JoinError = spawn_pinned(|| -> u32 { panic!("bad input: {}", 7) })
        .await
        .unwrap_err();
    assert!(error.is_panic());
    assert!(!error.is_cancelled());
    assert_eq!(
        error.to_string(),
        "pinned call panicked with message \"bad input: 7\""
    );
    assert_eq!(
        format!("{error:?}"),
        "JoinError::Panic(\"bad input: 7\", ..)"
    );
    assert_eq!(panic_message(&*error.into_panic()), "bad input: 7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_of_any_type_comes_back_as_it_was() {
    let error = spawn_pinned(|| std::panic::panic_any(Custom(42)))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "pinned call panicked");
    let payload = error.try_into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(42)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_error_converts_to_an_io_error() {
    let error = spawn_pinned(|| -> () { panic!("disk on fire") })
        .await
        .unwrap_err();
    let io_error = std::io::Error::from(error);
    assert_eq!(io_error.kind(), std::io::ErrorKind::Other);
    assert_eq!(
        io_error.to_string(),
        "pinned call panicked with message \"disk on fire\""
    );
}

#[awaitlet::async_def(send)]
fn validate(n: u32) -> u32 {
    if n == 0 {
        std::panic::panic_any(Custom(n));
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_fn_resumes_the_panic_in_its_awaiter() {
    assert_eq!(tokio::spawn(validate(3)).await.unwrap(), 3);
    // Awaited inline, the panic comes out of the `.await`, payload intact.
    let payload = AssertUnwindSafe(validate(0))
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(0)));
    // In a spawned task, tokio's `JoinError` carries the same payload.
    let error = tokio::spawn(validate(0)).await.unwrap_err();
    assert_eq!(
        error.into_panic().downcast_ref::<Custom>(),
        Some(&Custom(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_an_awaited_future_unwinds_into_the_sync_code() {
    let caught = spawn_pinned(|| {
        let result = catch_unwind(AssertUnwindSafe(|| {
            awaitlet!(async {
                tokio::task::yield_now().await;
                panic!("inside the awaited future")
            })
        }));
        // The coroutine goes on after catching it, and can await again.
        awaitlet!(tokio::task::yield_now());
        panic_message(&*result.unwrap_err())
    })
    .await
    .unwrap();
    assert_eq!(caught, "inside the awaited future");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_thread_is_clean_after_a_panic() {
    for _ in 0..3 {
        spawn_pinned(|| -> () { panic!("again") })
            .await
            .unwrap_err();
    }
    // The same pool threads still run coroutines, and nothing is left over in their state.
    let inside = spawn_pinned(|| {
        let nested = awaitlet!(async_def(awaitlet::in_async_def));
        (awaitlet::in_async_def(), nested)
    })
    .await
    .unwrap();
    assert_eq!(inside, (true, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn into_panic_on_a_cancelled_call_panics_with_a_clear_message() {
    let handle = spawn_pinned(|| awaitlet!(std::future::pending::<()>()));
    handle.abort();
    let error = handle.await.unwrap_err();
    assert!(error.is_cancelled());
    let error = error.try_into_panic().unwrap_err();
    let message = common::panic_text(|| error.into_panic());
    assert_eq!(
        message,
        "`JoinError::into_panic` called on an error that is not a panic: pinned call was cancelled"
    );
}

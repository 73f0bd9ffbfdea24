//! Panics in a portal: from the future's async code, from sync code inside a poll, from a future
//! awaited by `awaitlet!` there; each reaches whoever polls the portal, payload intact, the portal
//! is then finished, and the thread's coroutine state is clean. Inside, `catch_unwind` in the
//! sync code stops a panic from an awaited future as it does in an `async_def`.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::pin::Pin;

use awaitlet::{awaitlet, in_async_def, portal};
use futures::executor::block_on;

use common::{DropCounter, panic_text, poll_once, yield_now};

#[derive(Debug, PartialEq)]
struct Failure(u32);

fn payload_of<R>(f: impl FnOnce() -> R) -> Box<dyn std::any::Any + Send> {
    catch_unwind(AssertUnwindSafe(f))
        .err()
        .expect("expected a panic")
}

#[test]
fn a_panic_in_the_futures_async_code_reaches_the_poller() {
    let fut = portal(async {
        yield_now().await;
        panic_any(Failure(1));
    });
    let payload = payload_of(|| block_on(fut));
    assert_eq!(payload.downcast_ref::<Failure>(), Some(&Failure(1)));
    assert!(!in_async_def());
}

/// Sync code that suspends, then panics with `code`.
fn sync_then_panic(code: u32) {
    awaitlet!(yield_now());
    panic_any(Failure(code));
}

#[test]
fn a_panic_in_sync_code_suspended_mid_poll_reaches_the_poller_and_unwinds_the_poll() {
    let counter = DropCounter::new();
    let (in_block, in_future) = (counter.value(), counter.value());
    let mut fut = portal(async move {
        let _in_future = in_future;
        async move {
            let _in_block = in_block;
            sync_then_panic(2)
        }
        .await
    });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    let payload = payload_of(|| poll_once(Pin::new(&mut fut)));
    assert_eq!(payload.downcast_ref::<Failure>(), Some(&Failure(2)));
    assert_eq!(
        counter.dropped(),
        2,
        "the unwinding dropped both values once"
    );
    assert_eq!(
        panic_text(|| poll_once(Pin::new(&mut fut))),
        "`AsyncDef` polled after completion"
    );
    assert!(!in_async_def());
}

#[test]
fn a_panic_in_a_future_awaited_mid_poll_can_be_caught_by_the_sync_code() {
    let fut = portal(async {
        let caught = catch_unwind(|| {
            awaitlet!(async {
                yield_now().await;
                panic!("from the awaited future")
            })
        });
        let message = common::panic_message(&*caught.expect_err("the future panicked"));
        // The portal can still suspend after the caught panic.
        awaitlet!(yield_now());
        message
    });
    assert_eq!(common::run_noop(fut, 10), "from the awaited future");
}

#[test]
fn a_string_panic_keeps_its_message() {
    let fut = portal(async { awaitlet!(async { panic!("portal {}", 3) }) });
    assert_eq!(panic_text(|| block_on(fut)), "portal 3");
}

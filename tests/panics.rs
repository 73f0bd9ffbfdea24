//! Panics cross the coroutine boundary both ways: out of the body to whoever polls the
//! `AsyncDef` (payload intact), and out of an awaited future's `poll` into the body (where
//! `catch_unwind` can stop them). Afterwards the thread's coroutine state is clean; a finished or
//! panicked `AsyncDef` refuses further polls; `assert_await_occurs` catches bodies that never
//! reached an `awaitlet!`.

mod common;

use std::any::Any;
use std::future::{poll_fn, ready};
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::pin::{Pin, pin};
use std::task::Poll;

use awaitlet::{AsyncDef, Builder, async_def, awaitlet, in_async_def};
use futures::executor::block_on;

use common::{DropLog, panic_message, panic_text, pending_then, poll_once, yield_now};

/// A payload that is neither a `String` nor a `&str`.
#[derive(Debug, PartialEq)]
struct Failure {
    code: u32,
}

/// A coroutine that suspends once, then panics with what `raise` throws.
fn panics_after_a_suspension(raise: fn()) -> AsyncDef<()> {
    async_def(move || {
        awaitlet!(yield_now());
        raise();
    })
}

fn raise_string() {
    // A runtime argument, so the payload is a formatted `String` (a constant one would be
    // folded into a `&'static str`).
    let n = std::hint::black_box(42);
    panic!("formatted {n}");
}

fn raise_str() {
    std::panic::panic_any("static text");
}

fn raise_struct() {
    panic_any(Failure { code: 7 });
}

/// Polls `fut` until it is ready or panics; returns the payload of the panic.
fn poll_until_panic<R>(mut fut: Pin<&mut AsyncDef<R>>) -> Box<dyn Any + Send> {
    for _ in 0..100 {
        match catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut()))) {
            Ok(Poll::Pending) => continue,
            Ok(Poll::Ready(_)) => panic!("completed without panicking"),
            Err(payload) => return payload,
        }
    }
    panic!("still pending after 100 polls");
}

#[test]
fn panic_payloads_reach_a_manual_poller_intact() {
    let mut fut = pin!(panics_after_a_suspension(raise_string));
    let payload = poll_until_panic(fut.as_mut());
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "formatted 42");

    let mut fut = pin!(panics_after_a_suspension(raise_str));
    let payload = poll_until_panic(fut.as_mut());
    assert_eq!(
        *payload.downcast_ref::<&'static str>().unwrap(),
        "static text"
    );

    let mut fut = pin!(panics_after_a_suspension(raise_struct));
    let payload = poll_until_panic(fut.as_mut());
    assert_eq!(
        payload.downcast_ref::<Failure>(),
        Some(&Failure { code: 7 })
    );

    assert!(!in_async_def(), "the slot is clean after the panics");
}

#[test]
fn panic_payloads_reach_a_tokio_join_handle_intact() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let error = tokio::task::spawn_local(panics_after_a_suspension(raise_string))
            .await
            .unwrap_err();
        assert!(error.is_panic());
        let payload = error.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "formatted 42");

        let error = tokio::task::spawn_local(panics_after_a_suspension(raise_str))
            .await
            .unwrap_err();
        let payload = error.into_panic();
        assert_eq!(
            *payload.downcast_ref::<&'static str>().unwrap(),
            "static text"
        );

        let error = tokio::task::spawn_local(panics_after_a_suspension(raise_struct))
            .await
            .unwrap_err();
        let payload = error.into_panic();
        assert_eq!(
            payload.downcast_ref::<Failure>(),
            Some(&Failure { code: 7 })
        );

        // The runtime thread is still usable for coroutines.
        let ok = tokio::task::spawn_local(async_def(|| awaitlet!(pending_then(2, 1))));
        assert_eq!(ok.await.unwrap(), 1);
    });
}

#[test]
fn a_panic_in_an_awaited_future_unwinds_into_the_body() {
    let log = DropLog::new();
    let body_log = log.clone();
    let fut = async_def(move || {
        let guard = body_log.guard("awaited future");
        let caught = catch_unwind(AssertUnwindSafe(|| {
            awaitlet!(async move {
                let _guard = guard;
                yield_now().await;
                panic_any(Failure { code: 3 });
            })
        }));
        let payload = caught.expect_err("the awaited future panicked");
        // The failed future was dropped on the way out of `awaitlet!`.
        let dropped = body_log.entries();
        // The body goes on as a coroutine: it can still suspend and resume.
        let inside = in_async_def();
        let next = awaitlet!(pending_then(3, "continued"));
        (
            payload.downcast_ref::<Failure>().map(|f| f.code),
            dropped,
            inside,
            next,
        )
    });
    let (code, dropped, inside, next) = block_on(fut);
    assert_eq!(code, Some(3));
    assert_eq!(dropped, ["awaited future"]);
    assert!(inside, "in_async_def() after catching the panic");
    assert_eq!(next, "continued");
}

#[test]
fn an_uncaught_panic_in_an_awaited_future_reaches_the_poller() {
    let fut = async_def(|| {
        let helper = || awaitlet!(poll_fn(|_| -> Poll<u32> { panic!("poll failed") }));
        helper() + 1
    });
    assert_eq!(panic_text(|| block_on(fut)), "poll failed");
    assert!(!in_async_def());
}

#[test]
fn the_body_can_catch_its_own_panics() {
    let fut = async_def(|| {
        let caught = catch_unwind(|| {
            awaitlet!(yield_now());
            panic!("inner");
        });
        let message = panic_message(&*caught.unwrap_err());
        (message, in_async_def(), awaitlet!(pending_then(1, 5)))
    });
    assert_eq!(block_on(fut), ("inner".to_string(), true, 5));
}

#[test]
fn after_a_panic_the_thread_is_clean() {
    let mut fut = pin!(panics_after_a_suspension(raise_string));
    let _ = poll_until_panic(fut.as_mut());
    assert!(!in_async_def(), "a panicked coroutine left the slot set");
    let message = panic_text(|| awaitlet!(ready(1)));
    assert!(message.contains("outside of an async_def"), "{message}");
    // New coroutines run normally, including several at once.
    let a = async_def(|| awaitlet!(pending_then(2, 1)));
    let b = async_def(|| awaitlet!(pending_then(1, 2)));
    assert_eq!(block_on(futures::future::join(a, b)), (1, 2));
}

#[test]
fn a_nested_panic_restores_the_outer_coroutine() {
    // The inner coroutine panics while the outer one awaits it: the outer body gets the panic
    // from its `awaitlet!` and is still a working coroutine afterwards.
    let fut = async_def(|| {
        let caught = catch_unwind(|| awaitlet!(panics_after_a_suspension(raise_struct)));
        let code = caught.unwrap_err().downcast::<Failure>().unwrap().code;
        (code, in_async_def(), awaitlet!(pending_then(2, 9)))
    });
    assert_eq!(block_on(fut), (7, true, 9));
    assert!(!in_async_def());
}

#[test]
fn polling_after_ready_panics_with_a_clear_message() {
    let mut fut = pin!(async_def(|| awaitlet!(pending_then(1, 1))));
    assert_eq!(poll_once(fut.as_mut()), Poll::Pending);
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(1));
    let message = panic_text(|| poll_once(fut.as_mut()));
    assert!(message.contains("after completion"), "{message}");
    assert!(message.contains("AsyncDef"), "names the future: {message}");
    // And again: it keeps refusing, it does not run anything.
    let message = panic_text(|| poll_once(fut.as_mut()));
    assert!(message.contains("after completion"), "{message}");
}

#[test]
fn polling_after_ready_without_any_suspension_panics() {
    let mut fut = pin!(async_def(|| 5));
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(5));
    let message = panic_text(|| poll_once(fut.as_mut()));
    assert!(message.contains("after completion"), "{message}");
}

#[test]
fn polling_after_a_panic_panics() {
    let mut fut = pin!(panics_after_a_suspension(raise_struct));
    let payload = poll_until_panic(fut.as_mut());
    assert!(payload.is::<Failure>());
    // The body does not run again: a second poll is a misuse and says so.
    let payload = catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut()))).unwrap_err();
    assert!(!payload.is::<Failure>(), "the body ran again");
    let message = panic_message(&*payload);
    assert!(message.contains("AsyncDef"), "{message}");
}

#[test]
fn assert_await_occurs_panics_when_no_awaitlet_was_called() {
    let fut = Builder::new().assert_await_occurs(true).async_def(|| 1);
    let message = panic_text(|| block_on(fut));
    assert!(message.contains("assert_await_occurs"), "{message}");
    assert!(message.contains("awaitlet!"), "{message}");
    assert!(!in_async_def());
}

#[test]
fn assert_await_occurs_is_satisfied_by_a_ready_awaitlet() {
    // Counts calls, not suspensions: a future that is ready at once still counts.
    let fut = Builder::new()
        .assert_await_occurs(true)
        .async_def(|| awaitlet!(ready(2)));
    assert_eq!(block_on(fut), 2);

    // The call may be anywhere below the body, and `try_awaitlet` counts as well.
    fn deep() -> u32 {
        awaitlet::try_awaitlet(ready(3)).unwrap_or(0)
    }
    let fut = Builder::new().assert_await_occurs(true).async_def(deep);
    assert_eq!(block_on(fut), 3);
}

#[awaitlet::async_def(assert_await_occurs)]
fn never_awaits(n: u32) -> u32 {
    n + 1
}

#[test]
fn assert_await_occurs_macro_argument_panics_too() {
    let message = panic_text(|| block_on(never_awaits(1)));
    assert!(message.contains("assert_await_occurs"), "{message}");
}

#[test]
fn assert_await_occurs_is_off_by_default() {
    assert_eq!(block_on(async_def(|| 4)), 4);
}

/// tokio refuses `Handle::block_on` on a thread that drives a runtime, which is where a
/// coroutine's sync code runs; in debug builds awaitlet adds a hint about what to use instead.
#[cfg(target_os = "linux")]
#[test]
fn blocking_on_the_runtime_inside_a_coroutine_gets_a_hint_in_debug_builds() {
    const TEST: &str = "blocking_on_the_runtime_inside_a_coroutine_gets_a_hint_in_debug_builds";
    if common::child::case().is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async_def(|| {
            tokio::runtime::Handle::current().block_on(async {});
        }));
        unreachable!("tokio let a runtime thread block on the runtime");
    }
    let output = common::child::run(TEST, "nested_block_on", &[]);
    let all = common::child::describe(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{all}");
    assert!(
        stderr.contains("Cannot start a runtime from within a runtime"),
        "{all}"
    );
    let hint = "awaitlet: hint: the sync code of an `async_def` blocked on a tokio runtime \
                (`Handle::block_on`, or tokio-util's `SyncIoBridge`, which calls it), but it runs \
                inside a task's poll, on a thread already driving the runtime; await the future \
                with `awaitlet!(future)` instead, and read and write through \
                `awaitlet::tokio::SyncIo`";
    assert_eq!(stderr.contains(hint), cfg!(debug_assertions), "{all}");
}

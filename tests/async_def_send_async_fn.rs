//! `#[async_def(send)]` on an `async fn`, and `awaitlet::tokio::spawn_pinned_portal`: the outer
//! future (or handle) is `Send` when the arguments and output are, the body's own future is made
//! and polled in a portal on a pool thread and need not be `Send`; panics resume in the awaiter
//! with their payload; dropping the future cancels the call, whose destructors run on the pool
//! thread; the macro arguments combine.

mod common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use awaitlet::{async_def, awaitlet};

use common::{SendDropCounter, panic_message, thread_name};

/// Spawns `future` on the multi-thread runtime: it must be `Send + 'static`.
async fn spawned<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future).await.unwrap()
}

/// Unchanged sync layer with borrowed, `!Send` state; its bottom awaits.
fn sync_layer(log: &RefCell<Vec<String>>, line: &str) -> usize {
    awaitlet!(tokio::task::yield_now());
    log.borrow_mut().push(line.to_uppercase());
    log.borrow().len()
}

#[async_def(send)]
async fn handler(lines: Vec<String>, mut extra: u32) -> (String, usize, u32) {
    // `Rc` and a `RefCell` borrow held across `.await`: the body's future is not `Send`.
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut count = 0;
    for line in &lines {
        tokio::time::sleep(Duration::from_millis(1)).await;
        count = sync_layer(&log, line);
    }
    extra += 1;
    (thread_name(), count, extra)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_runs_in_a_portal_on_a_pool_thread_and_the_future_is_send() {
    let (name, count, extra) = spawned(handler(vec!["a".into(), "b".into()], 1)).await;
    assert!(name.starts_with("awaitlet-pinned-"), "ran on {name}");
    assert_eq!((count, extra), (2, 2));
}

#[async_def(send)]
async fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    tokio::task::yield_now().await;
    if text.is_empty() {
        return Ok(0);
    }
    Ok(text.parse::<u32>()? * 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_mark_and_early_return() {
    assert_eq!(spawned(parse("21".into())).await, Ok(42));
    assert_eq!(spawned(parse(String::new())).await, Ok(0));
    assert!(spawned(parse("x".into())).await.is_err());
}

#[async_def(send, stack_size = 64 * 1024, assert_await_occurs, crate = ::awaitlet)]
async fn with_arguments(reach_await: bool) -> u32 {
    tokio::task::yield_now().await;
    if reach_await {
        awaitlet!(tokio::task::yield_now());
    }
    7
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_other_macro_arguments() {
    assert_eq!(spawned(with_arguments(true)).await, 7);
    let payload = tokio::spawn(with_arguments(false))
        .await
        .expect_err("assert_await_occurs panics")
        .into_panic();
    let message = panic_message(&*payload);
    assert!(
        message.contains("returned without calling `awaitlet!`"),
        "{message}"
    );
}

#[derive(Debug, PartialEq)]
struct Failure(u32);

#[async_def(send)]
async fn panics(code: u32) {
    async {
        awaitlet!(tokio::task::yield_now());
        std::panic::panic_any(Failure(code));
    }
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_resumes_in_the_awaiter_with_its_payload() {
    let payload = tokio::spawn(panics(3))
        .await
        .expect_err("the body panicked")
        .into_panic();
    assert_eq!(payload.downcast_ref::<Failure>(), Some(&Failure(3)));
}

#[async_def(send)]
async fn holds_until_cancelled(
    value: common::SendCounted,
    started: tokio::sync::oneshot::Sender<()>,
) {
    let _value = value;
    let on_stack = Rc::new(Cell::new(0));
    async {
        let _ = started.send(());
        on_stack.set(1);
        awaitlet!(std::future::pending::<()>());
    }
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_future_cancels_the_call_on_its_pool_thread() {
    let counter = SendDropCounter::new();
    let (started, running) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(holds_until_cancelled(counter.value(), started));
    running.await.expect("the call started");
    assert_eq!(counter.dropped(), 0);
    task.abort();
    assert!(task.await.expect_err("aborted").is_cancelled());
    // The coroutine unwinds on its pool thread, just after the drop.
    counter.wait_for(1, Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_pinned_portal_runs_a_non_send_future_on_the_pool() {
    let handle = awaitlet::tokio::spawn_pinned_portal(|| async {
        let log = RefCell::new(Vec::new());
        tokio::task::yield_now().await;
        let count = sync_layer(&log, "x");
        (thread_name(), count, log.into_inner())
    });
    let (name, count, log) = handle.await.expect("the call");
    assert!(name.starts_with("awaitlet-pinned-"), "ran on {name}");
    assert_eq!((count, log), (1, vec!["X".to_string()]));
}

#[test]
fn spawn_pinned_portal_reports_a_panic_in_make_and_in_the_future() {
    let in_make =
        awaitlet::tokio::spawn_pinned_portal(|| -> std::future::Ready<()> { panic!("in make") });
    let error = futures::executor::block_on(in_make).expect_err("make panicked");
    assert_eq!(panic_message(&*error.into_panic()), "in make");

    let in_future = awaitlet::Builder::new()
        .stack_size(64 * 1024)
        .spawn_pinned_portal(|| async { panic!("in the future") });
    let error = futures::executor::block_on(in_future).expect_err("the future panicked");
    assert!(error.is_panic());
    assert_eq!(panic_message(&*error.into_panic()), "in the future");
}

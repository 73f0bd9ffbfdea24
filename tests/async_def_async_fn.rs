//! `#[async_def]` on an `async fn`: the body runs in a portal, so it may `.await` and call sync
//! code that awaits with `awaitlet!`, handing it borrowed state. Arguments follow the rules of
//! sync `#[async_def]` fns (owned, `'static`); `?`, `return`, generics, owned receivers, trait
//! impls, `impl Trait` outputs and the macro arguments work as there.

mod common;

use std::cell::Cell;
use std::fmt::Display;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use awaitlet::{async_def, awaitlet, in_async_def};
use futures::executor::block_on;

use common::{panic_text, pending_then, poll_once, run_noop, yield_now};

/// Unchanged sync layer with borrowed state, whose bottom awaits.
struct Session {
    requests: u32,
}

fn handle(session: &mut Session, config: &str, line: &str) -> String {
    session.requests += 1;
    let echoed = awaitlet!(pending_then(1, line.to_uppercase()));
    format!("{config}{}:{echoed}", session.requests)
}

#[async_def]
async fn handler(config: String, lines: Vec<String>) -> Vec<String> {
    let mut session = Session { requests: 0 };
    let mut replies = Vec::new();
    for line in &lines {
        yield_now().await;
        replies.push(handle(&mut session, &config, line));
    }
    replies
}

#[test]
fn the_body_awaits_and_calls_sync_code_that_awaits_with_borrowed_state() {
    let replies = run_noop(handler("#".into(), vec!["a".into(), "b".into()]), 20);
    assert_eq!(replies, ["#1:A", "#2:B"]);
    assert!(!in_async_def());
}

#[async_def]
async fn counts_pending(n: usize) -> usize {
    pending_then(n, ()).await;
    awaitlet!(pending_then(n, n))
}

#[test]
fn every_pending_of_the_body_is_one_pending_of_the_fn() {
    let mut fut = Box::pin(counts_pending(3));
    for poll in 0..6 {
        assert!(poll_once(fut.as_mut()).is_pending(), "poll {poll}");
    }
    assert_eq!(poll_once(fut.as_mut()), std::task::Poll::Ready(3));
}

#[async_def]
async fn parse_sum(inputs: Vec<String>) -> Result<u32, std::num::ParseIntError> {
    let mut sum = 0;
    for input in inputs {
        if input == "stop" {
            return Ok(sum);
        }
        yield_now().await;
        sum += input.parse::<u32>()?;
    }
    Ok(sum)
}

#[test]
fn question_mark_and_early_return_work_in_the_body() {
    let owned = |items: &[&str]| items.iter().map(|item| item.to_string()).collect();
    assert_eq!(run_noop(parse_sum(owned(&["1", "2"])), 10), Ok(3));
    assert_eq!(run_noop(parse_sum(owned(&["4", "stop", "x"])), 10), Ok(4));
    assert!(run_noop(parse_sum(owned(&["1", "x"])), 10).is_err());
}

#[async_def]
async fn shows<T: Display>(value: T) -> impl Display {
    yield_now().await;
    format!("<{value}>")
}

#[test]
fn generics_and_impl_trait_outputs() {
    assert_eq!(run_noop(shows(5), 10).to_string(), "<5>");
    assert_eq!(run_noop(shows("x"), 10).to_string(), "<x>");
}

struct Counter {
    start: u32,
}

impl Counter {
    #[async_def]
    async fn count(self, by: u32) -> u32 {
        awaitlet!(yield_now());
        self.start + by
    }

    #[async_def]
    async fn count_shared(self: Arc<Self>) -> u32 {
        yield_now().await;
        self.start
    }

    #[async_def]
    async fn count_rc(self: Rc<Self>, seen: Rc<Cell<bool>>) -> u32 {
        seen.set(true);
        self.start
    }
}

trait Fetch {
    async fn fetch(self, key: u32) -> u32;
}

impl Fetch for Counter {
    #[async_def]
    async fn fetch(self, key: u32) -> u32 {
        yield_now().await;
        awaitlet!(pending_then(1, self.start * key))
    }
}

#[test]
fn owned_receivers_and_trait_impls() {
    assert_eq!(run_noop(Counter { start: 1 }.count(2), 10), 3);
    assert_eq!(
        run_noop(Arc::new(Counter { start: 4 }).count_shared(), 10),
        4
    );
    let seen = Rc::new(Cell::new(false));
    assert_eq!(
        block_on(Rc::new(Counter { start: 6 }).count_rc(Rc::clone(&seen))),
        6
    );
    assert!(seen.get());
    assert_eq!(run_noop(Counter { start: 7 }.fetch(3), 10), 21);
}

#[async_def(stack_size = 64 * 1024, assert_await_occurs, crate = ::awaitlet)]
async fn with_arguments(reach_await: bool) -> u32 {
    if reach_await {
        awaitlet!(yield_now());
    } else {
        yield_now().await;
    }
    1
}

#[test]
fn macro_arguments_combine_with_async_fn() {
    assert_eq!(run_noop(with_arguments(true), 10), 1);
    // `assert_await_occurs` counts `awaitlet!` calls, not `.await`s.
    let message = panic_text(|| run_noop(with_arguments(false), 10));
    assert!(
        message.contains("returned without calling `awaitlet!`"),
        "{message}"
    );
}

#[async_def]
async fn mutable_arguments(mut total: u32, (a, b): (u32, u32)) -> u32 {
    total += a;
    yield_now().await;
    total += b;
    total
}

#[test]
fn mut_and_pattern_arguments() {
    assert_eq!(run_noop(mutable_arguments(1, (2, 3)), 10), 6);
}

#[async_def]
async fn panics_inside(code: u32) {
    async {
        awaitlet!(yield_now());
        std::panic::panic_any(code);
    }
    .await
}

#[test]
fn a_panic_in_the_body_reaches_the_awaiter_with_its_payload() {
    let mut fut = Box::pin(panics_inside(9));
    assert!(poll_once(fut.as_mut()).is_pending());
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll_once(Pin::new(&mut fut))
    }))
    .expect_err("the body panicked");
    assert_eq!(payload.downcast_ref::<u32>(), Some(&9));
}

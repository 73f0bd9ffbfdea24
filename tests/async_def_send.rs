//! `#[async_def(send)]` on every kind of fn `#[async_def]` takes: its future is `Send`, its body
//! runs on a pool thread, and arguments, patterns, `mut` bindings, receivers, generics, `?` and
//! `return` mean what they mean without `send`; and with the other macro arguments.

mod common;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use awaitlet::async_def;
use awaitlet::awaitlet;

use common::{panic_message, thread_name};

fn require_send<T: Send>(value: T) -> T {
    value
}

/// Spawns `future` on the multi-thread runtime: it must be `Send + 'static`.
async fn spawned<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future).await.unwrap()
}

#[async_def(send)]
fn where_it_runs() -> String {
    thread_name()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_runs_on_a_pool_thread() {
    let name = spawned(where_it_runs()).await;
    assert!(name.starts_with("awaitlet-pinned-"), "ran on {name}");
}

#[async_def(send)]
fn patterns_and_mut(
    (a, b): (u32, u32),
    mut total: u32,
    Wrapper(name): Wrapper,
    _unused: u8,
) -> String {
    total += a + b;
    total *= 2;
    format!("{name}: {total}")
}

struct Wrapper(String);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_and_mut_arguments() {
    let future = patterns_and_mut((1, 2), 10, Wrapper("sum".into()), 0);
    assert_eq!(spawned(future).await, "sum: 26");
}

#[async_def(send)]
fn parse_and_halve(text: String) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = text.trim().parse()?;
    if n % 2 == 1 {
        return Ok(n);
    }
    Ok(awaitlet!(async move { n / 2 }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_mark_and_early_return() {
    assert_eq!(spawned(parse_and_halve(" 8 ".into())).await, Ok(4));
    assert_eq!(spawned(parse_and_halve("7".into())).await, Ok(7));
    assert!(spawned(parse_and_halve("x".into())).await.is_err());
}

#[async_def(send)]
fn describe<T, U>(value: T, unit: U, extra: impl Display + Send) -> String
where
    T: Display + Send,
    U: AsRef<str> + Send,
{
    let value = awaitlet!(async move { value.to_string() });
    format!("{value} {} {extra}", unit.as_ref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generics_where_clauses_and_impl_trait() {
    let future = describe(3.5, "kg", '!');
    assert_eq!(spawned(future).await, "3.5 kg !");
}

#[async_def(send)]
fn display_later(n: u32) -> impl Display + Send {
    awaitlet!(async move { n * 3 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impl_trait_return_type() {
    assert_eq!(spawned(display_later(4)).await.to_string(), "12");
}

struct Counter {
    start: u32,
}

impl Counter {
    #[async_def(send)]
    fn count_by_value(self, by: u32) -> u32 {
        self.start + awaitlet!(async move { by })
    }

    #[async_def(send)]
    fn count_boxed(self: Box<Self>, by: u32) -> u32 {
        self.start * by
    }

    #[async_def(send)]
    fn count_shared(self: Arc<Self>, mut by: u32) -> u32 {
        by += 1;
        self.start + by
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_receivers() {
    assert_eq!(spawned(Counter { start: 1 }.count_by_value(2)).await, 3);
    assert_eq!(
        spawned(Box::new(Counter { start: 2 }).count_boxed(5)).await,
        10
    );
    assert_eq!(
        spawned(Arc::new(Counter { start: 3 }).count_shared(1)).await,
        5
    );
}

trait Service {
    fn call(self: Arc<Self>, request: String) -> impl Future<Output = String> + Send;
}

struct Upper;

impl Service for Upper {
    #[async_def(send)]
    fn call(self: Arc<Self>, request: String) -> String {
        awaitlet!(async move { request.to_uppercase() })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trait_that_requires_a_send_future() {
    assert_eq!(spawned(Arc::new(Upper).call("hi".into())).await, "HI");
}

#[async_def(send, stack_size = 64 * 1024)]
fn deep(n: u32) -> u32 {
    fn recurse(n: u32) -> u32 {
        if n == 0 { 0 } else { 1 + recurse(n - 1) }
    }
    recurse(n)
}

#[async_def(send, assert_await_occurs)]
fn never_awaits() -> u32 {
    1
}

#[async_def(assert_await_occurs, send, crate = awaitlet)]
fn awaits_once() -> u32 {
    awaitlet!(async { 2 })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_other_macro_arguments() {
    assert_eq!(spawned(deep(100)).await, 100);
    assert_eq!(spawned(awaits_once()).await, 2);
    let error = tokio::spawn(never_awaits()).await.unwrap_err();
    assert!(panic_message(&*error.into_panic()).starts_with(
        "`async_def` with `assert_await_occurs` returned without calling `awaitlet!`"
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn the_future_is_send_and_lazy() {
    let counter = common::SendDropCounter::new();
    let future = require_send(where_it_runs());
    drop(future);
    let holds_an_argument = require_send(keep(counter.value()));
    drop(holds_an_argument);
    assert_eq!(counter.dropped(), 1);
}

#[async_def(send)]
fn keep(value: common::SendCounted) -> common::SendCounted {
    value
}

#[test]
fn awaited_by_any_executor() {
    assert_eq!(
        futures::executor::block_on(parse_and_halve("6".into())),
        Ok(3)
    );
}

//! `awaitlet!` semantics: what flows back, how often the coroutine suspends, where it may be
//! called, the functional forms (`async_def`, `awaitlet`, `try_awaitlet`, `in_async_def`,
//! `Builder`), and whose waker the awaited future sees.

mod common;

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::future::{Future, IntoFuture, ready};
use std::marker::PhantomPinned;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use awaitlet::{AsyncDef, Builder, async_def, awaitlet, in_async_def, try_awaitlet};
use futures::executor::block_on;

use common::{CountingWaker, DropCounter, pending_then, poll_once, run_noop, yield_now};

#[derive(Debug, PartialEq)]
struct Row {
    id: u32,
    name: String,
}

#[test]
fn values_flow_back_with_their_types() {
    let fut = async_def(|| {
        let text: String = awaitlet!(pending_then(1, String::from("text")));
        let list: Vec<u8> = awaitlet!(async { vec![1, 2, 3] });
        let result: Result<u32, String> = awaitlet!(pending_then(2, Err("no".to_string())));
        let row: Row = awaitlet!(pending_then(
            1,
            Row {
                id: 7,
                name: "seven".into(),
            }
        ));
        (text, list, result, row)
    });
    let (text, list, result, row) = block_on(fut);
    assert_eq!(text, "text");
    assert_eq!(list, [1, 2, 3]);
    assert_eq!(result, Err("no".to_string()));
    assert_eq!(
        row,
        Row {
            id: 7,
            name: "seven".into(),
        }
    );
}

#[test]
fn each_pending_poll_suspends_the_coroutine_once() {
    // The awaited future is pending 1000 times: the AsyncDef must return `Pending` exactly 1000
    // times and then `Ready`, i.e. suspend on every pending poll and never spin or skip one.
    let mut fut = pin!(async_def(|| awaitlet!(pending_then(1000, 99u32))));
    for i in 0..1000 {
        assert_eq!(poll_once(fut.as_mut()), Poll::Pending, "poll {i}");
    }
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(99));
}

#[test]
fn many_awaits_in_a_loop() {
    let fut = async_def(|| {
        (0..1000u64)
            .map(|i| awaitlet!(pending_then(1, i)))
            .sum::<u64>()
    });
    assert_eq!(run_noop(fut, 2000), 499_500);
}

/// Plain recursive sync code with an `awaitlet!` at every level: depth is no obstacle.
fn sum_down(n: u64) -> u64 {
    let here = awaitlet!(pending_then(1, n));
    if n == 0 { here } else { here + sum_down(n - 1) }
}

#[test]
fn awaitlet_deep_inside_plain_sync_helpers() {
    assert_eq!(block_on(async_def(|| sum_down(100))), 5050);
}

/// Flushes asynchronously when dropped: `awaitlet!` in a destructor, for async clean-up.
struct Flushes(Rc<RefCell<Vec<&'static str>>>);

impl Drop for Flushes {
    fn drop(&mut self) {
        // Falls back when the drop is part of an unwind (see refusal.rs); here it is not.
        let flushed = try_awaitlet(pending_then(2, "flushed")).unwrap_or("not flushed");
        self.0.borrow_mut().push(flushed);
    }
}

#[test]
fn awaitlet_in_a_destructor_at_the_end_of_a_scope_suspends() {
    let events = Rc::new(RefCell::new(Vec::new()));
    let in_body = Rc::clone(&events);
    let mut fut = async_def(move || {
        {
            let _connection = Flushes(Rc::clone(&in_body));
        }
        in_body.borrow_mut().push("after scope");
    });
    // The destructor's await really suspends the coroutine: two `Pending`s, then done.
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(()));
    assert_eq!(*events.borrow(), ["flushed", "after scope"]);
}

/// Not a `Future`, but `IntoFuture`, like a request builder.
struct Query {
    answer: u32,
}

impl IntoFuture for Query {
    type Output = u32;
    type IntoFuture = common::PendingThen<u32>;

    fn into_future(self) -> Self::IntoFuture {
        pending_then(2, self.answer)
    }
}

#[test]
fn into_future_types_are_accepted() {
    let fut = async_def(|| {
        let boxed: Pin<Box<dyn Future<Output = u32>>> = Box::pin(pending_then(1, 1));
        awaitlet!(Query { answer: 41 }) + awaitlet!(boxed) + awaitlet::awaitlet(Query { answer: 0 })
    });
    assert_eq!(block_on(fut), 42);
}

fn read_answer() -> u32 {
    awaitlet::awaitlet(pending_then(3, 42))
}

#[test]
fn functional_forms() {
    // A fn item and a closure both work as the body; `awaitlet()` is the macro's function.
    assert_eq!(block_on(async_def(read_answer)), 42);
    let owned = String::from("moved in");
    let fut: AsyncDef<usize> = async_def(move || awaitlet::awaitlet(ready(owned.len())));
    assert_eq!(block_on(fut), 8);
}

#[test]
fn async_def_unchecked_borrows() {
    let names = vec!["a".to_string(), "b".to_string()];
    let mut seen = Vec::new();
    // SAFETY: the future is driven to completion right here, while `names` and `seen` are alive,
    // and never leaked.
    let fut = unsafe {
        awaitlet::async_def_unchecked(|| {
            for name in &names {
                seen.push(awaitlet!(pending_then(1, name.to_uppercase())));
            }
            names.len()
        })
    };
    assert_eq!(block_on(fut), 2);
    assert_eq!(seen, ["A", "B"]);
}

#[test]
fn values_are_moved_through_not_copied_or_dropped() {
    // The awaited future's output and the body's result each reach their receiver exactly once.
    let counter = DropCounter::new();
    let (into_future, returned) = (counter.value(), counter.value());
    let fut = async_def(move || {
        let from_future = awaitlet!(pending_then(2, into_future));
        awaitlet!(yield_now());
        (from_future, returned)
    });
    let outputs = block_on(fut);
    assert_eq!(counter.dropped(), 0, "dropped on the way out");
    drop(outputs);
    assert_eq!(counter.dropped(), 2);
}

// ---------------------------------------------------------------------------------------------
// Builder

#[test]
fn builder_configures_the_coroutine() {
    assert_eq!(Builder::default(), Builder::new());
    let builder = Builder::new()
        .stack_size(256 * 1024)
        .assert_await_occurs(true);
    let fut = builder.async_def(|| awaitlet!(pending_then(1, 6 * 7)));
    assert_eq!(block_on(fut), 42);
    // A builder is reusable.
    let fut = builder
        .try_async_def(|| awaitlet!(pending_then(1, "again")))
        .expect("mapping a 256 KiB stack");
    assert_eq!(block_on(fut), "again");
}

#[test]
fn builder_reports_a_stack_that_cannot_be_mapped() {
    let error = Builder::new()
        .stack_size(usize::MAX / 2)
        .try_async_def(|| 1)
        .expect_err("a stack of half the address space cannot be mapped");
    assert!(error.to_string().contains("stack"), "{error}");
}

#[test]
fn builder_async_def_panics_when_the_stack_cannot_be_mapped() {
    let message = common::panic_text(|| Builder::new().stack_size(usize::MAX / 2).async_def(|| 1));
    assert!(message.contains("try_async_def"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// try_awaitlet

#[test]
fn try_awaitlet_inside_awaits() {
    let fut = async_def(|| try_awaitlet(pending_then(2, 5)).map_err(|e| e.to_string()));
    assert_eq!(block_on(fut), Ok(5));
}

/// A future that counts its polls.
struct CountPolls<'a> {
    polls: &'a Cell<u32>,
}

impl Future for CountPolls<'_> {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<&'static str> {
        self.polls.set(self.polls.get() + 1);
        Poll::Ready("polled")
    }
}

#[test]
fn try_awaitlet_outside_hands_the_future_back_unpolled() {
    let polls = Cell::new(0);
    let error = try_awaitlet(CountPolls { polls: &polls }).unwrap_err();
    assert_eq!(polls.get(), 0, "try_awaitlet polled the future it refused");
    let fut = error.into_inner();
    assert_eq!(block_on(fut), "polled");
    assert_eq!(polls.get(), 1);
}

#[test]
fn not_in_async_def_error_text() {
    // An `async` block is neither `Debug` nor `Display`: the error needs no bounds on `F`.
    let error = try_awaitlet(async { 1 }).unwrap_err();
    let display = error.to_string();
    assert!(display.contains("outside of an async_def"), "{display}");
    assert!(
        display.contains("try_awaitlet"),
        "says what to do: {display}"
    );
    let debug = format!("{error:?}");
    assert!(debug.contains("NotInAsyncDef"), "{debug}");

    // It is a `std::error::Error`, so `?` converts it.
    fn fallible() -> Result<u32, Box<dyn Error>> {
        Ok(try_awaitlet(ready(1))?)
    }
    let boxed = fallible().unwrap_err();
    assert!(
        boxed.to_string().contains("outside of an async_def"),
        "{boxed}"
    );
}

// ---------------------------------------------------------------------------------------------
// in_async_def

#[test]
fn in_async_def_is_true_exactly_where_awaitlet_would_suspend() {
    assert!(!in_async_def(), "outside");
    fn helper() -> bool {
        in_async_def()
    }
    let fut = async_def(|| {
        let at_start = in_async_def();
        let in_helper = helper();
        let in_poll = awaitlet!(std::future::poll_fn(|_| Poll::Ready(in_async_def())));
        awaitlet!(yield_now());
        let after_resume = in_async_def();
        (at_start, in_helper, in_poll, after_resume)
    });
    let (at_start, in_helper, in_poll, after_resume) = block_on(fut);
    assert!(at_start, "at the start of the body");
    assert!(in_helper, "in a sync helper below the body");
    assert!(!in_poll, "inside the awaited future's poll");
    assert!(after_resume, "after a suspension");
    assert!(!in_async_def(), "outside, after the coroutine finished");
}

// ---------------------------------------------------------------------------------------------
// Wakers

/// Pending until `ready` is set; keeps the waker of its latest poll in `waker`.
struct Parked {
    ready: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
}

impl Future for Parked {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        if self.ready.get() {
            Poll::Ready("woken")
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn the_awaited_future_sees_the_pollers_waker() {
    let ready = Rc::new(Cell::new(false));
    let stored: Rc<RefCell<Option<Waker>>> = Rc::default();
    let parked = Parked {
        ready: Rc::clone(&ready),
        waker: Rc::clone(&stored),
    };
    let mut fut = async_def(move || awaitlet!(parked));

    let first = CountingWaker::new();
    let first_waker = Waker::from(Arc::clone(&first));
    let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(&first_waker));
    assert_eq!(poll, Poll::Pending);
    let seen = stored
        .borrow()
        .clone()
        .expect("the awaited future was polled");
    assert!(seen.will_wake(&first_waker), "not the poller's waker");
    seen.wake_by_ref();
    assert_eq!(
        first.wakes(),
        1,
        "waking the awaited future's waker must wake the poller"
    );

    // The next poll comes from another task (a different waker): the awaited future must see
    // that one, not a stale copy of the first.
    let second = CountingWaker::new();
    let second_waker = Waker::from(Arc::clone(&second));
    let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(&second_waker));
    assert_eq!(poll, Poll::Pending);
    let seen = stored.borrow().clone().unwrap();
    assert!(seen.will_wake(&second_waker), "stale waker after a re-poll");
    seen.wake();
    assert_eq!((first.wakes(), second.wakes()), (1, 1));

    ready.set(true);
    let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(&second_waker));
    assert_eq!(poll, Poll::Ready("woken"));
}

// ---------------------------------------------------------------------------------------------
// The future itself

/// A `!Unpin` future that checks it was not moved between its polls and its drop.
struct AddressChecked {
    address: Cell<usize>,
    polls: u32,
    _pinned: PhantomPinned,
}

impl AddressChecked {
    fn check(&self) {
        let here = std::ptr::from_ref(self) as usize;
        let first = self.address.replace(here);
        assert!(first == 0 || first == here, "a pinned future moved");
    }
}

impl Future for AddressChecked {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.check();
        // SAFETY: only the `polls` counter is modified; nothing is moved out of the pin.
        let this = unsafe { self.get_unchecked_mut() };
        this.polls += 1;
        if this.polls < 3 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(this.polls)
        }
    }
}

impl Drop for AddressChecked {
    fn drop(&mut self) {
        self.check();
    }
}

#[test]
fn async_def_can_move_between_polls_and_pinned_futures_stay_put() {
    fn assert_unpin<T: Unpin>(_: &T) {}
    let fut = async_def(|| {
        awaitlet!(AddressChecked {
            address: Cell::new(0),
            polls: 0,
            _pinned: PhantomPinned,
        })
    });
    assert_unpin(&fut);

    // `AsyncDef` is documented `Unpin`: it may be moved after a poll, while the future pinned on
    // its coroutine stack stays where it is.
    let mut fut = fut;
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    let mut moved = Box::new(fut);
    assert!(poll_once(Pin::new(&mut *moved)).is_pending());
    let mut moved_again = *moved;
    assert_eq!(poll_once(Pin::new(&mut moved_again)), Poll::Ready(3));
}

//! Where `awaitlet!` refuses to suspend: outside a coroutine, inside the `poll` of a future it is
//! awaiting, on another thread, and while unwinding (a panic, or a dropped suspended coroutine).
//! `awaitlet!` panics there with a message that says "outside of an async_def"; `try_awaitlet`
//! hands the future back, and `in_async_def()` is `false`.

mod common;

use std::cell::RefCell;
use std::future::{poll_fn, ready};
use std::panic::catch_unwind;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use awaitlet::{async_def, awaitlet, in_async_def, try_awaitlet};
use futures::executor::block_on;

use common::{panic_message, panic_text, pending_then, poll_once, run_noop, yield_now};

const REFUSAL: &str = "outside of an async_def";

/// Runs a closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// What a destructor observed: `in_async_def()`, and the `try_awaitlet` error text if refused.
#[derive(Debug, Default, Clone, PartialEq)]
struct Observed {
    in_async_def: Option<bool>,
    try_awaitlet_error: Option<String>,
    future_back: Option<u32>,
}

/// A destructor that records what `in_async_def` and `try_awaitlet` say where it runs.
fn observer(slot: Rc<RefCell<Observed>>) -> OnDrop<impl FnMut()> {
    OnDrop(move || {
        let mut observed = slot.borrow_mut();
        observed.in_async_def = Some(in_async_def());
        match try_awaitlet(pending_then(1, 5u32)) {
            Ok(_) => observed.try_awaitlet_error = None,
            Err(error) => {
                observed.try_awaitlet_error = Some(error.to_string());
                // The refused future comes back intact and can still be driven elsewhere.
                observed.future_back = Some(run_noop(error.into_inner(), 10));
            }
        }
    })
}

#[test]
fn outside_a_coroutine_awaitlet_panics_and_says_what_to_do() {
    let message = panic_text(|| awaitlet!(ready(1)));
    assert!(message.contains(REFUSAL), "{message}");
    assert!(message.contains("async_def"), "{message}");
    assert!(
        message.contains("try_awaitlet"),
        "suggests the fallback: {message}"
    );
    assert!(!in_async_def());
}

#[test]
fn outside_a_coroutine_the_functional_form_panics_too() {
    let message = panic_text(|| awaitlet::awaitlet(ready(1)));
    assert!(message.contains(REFUSAL), "{message}");
}

#[test]
fn inside_an_awaited_futures_poll_awaitlet_panics_into_the_body() {
    let fut = async_def(|| {
        // A future whose `poll` (wrongly) calls `awaitlet!`: the coroutine must not be suspended
        // half-way through that poll; the refusal unwinds out of the outer `awaitlet!`.
        let caught =
            catch_unwind(|| awaitlet!(poll_fn(|_| Poll::Ready(awaitlet!(pending_then(1, 1))))));
        let message = panic_message(&*caught.expect_err("awaitlet! inside poll must panic"));
        // The body caught it and goes on: it is still a coroutine and can still suspend.
        let still_inside = in_async_def();
        let after = awaitlet!(pending_then(2, 10));
        (message, still_inside, after)
    });
    let (message, still_inside, after) = block_on(fut);
    assert!(message.contains(REFUSAL), "{message}");
    assert!(message.contains("Future::poll"), "says why: {message}");
    assert!(still_inside);
    assert_eq!(after, 10);
}

/// Ported sync code that awaits, called from inside an `async` block: the common way to meet the
/// in-poll refusal.
fn sync_helper() -> u32 {
    awaitlet!(ready(2))
}

#[test]
fn inside_an_async_block_handed_to_awaitlet_the_message_says_what_to_do_there() {
    let fut = async_def(|| {
        let caught = catch_unwind(|| awaitlet!(async { sync_helper() }));
        panic_message(&*caught.expect_err("awaitlet! inside an async block must panic"))
    });
    assert_eq!(
        block_on(fut),
        "`awaitlet!` called outside of an async_def: it was called while `awaitlet!` was polling a \
         future (an `async` block handed to `awaitlet!`, or a hand-written `Future::poll`), and a \
         coroutine is never suspended in the middle of a poll; in an `async` block, `.await` \
         there instead, or move the sync call out of the block; in a hand-written `poll`, return \
         `Poll::Pending`"
    );
}

#[test]
fn inside_an_awaited_futures_poll_try_awaitlet_refuses() {
    let fut = async_def(|| {
        awaitlet!(poll_fn(|_| {
            let inside = in_async_def();
            let refused = try_awaitlet(ready(1)).is_err();
            Poll::Ready((inside, refused))
        }))
    });
    assert_eq!(block_on(fut), (false, true));
}

#[test]
fn an_uncaught_refusal_in_poll_reaches_the_poller() {
    let fut = async_def(|| awaitlet!(poll_fn(|_| Poll::Ready(awaitlet!(ready(1))))));
    let mut fut = pin!(fut);
    let message = panic_text(|| poll_once(fut.as_mut()));
    assert!(message.contains(REFUSAL), "{message}");
    assert!(!in_async_def());
}

#[test]
fn on_another_thread_awaitlet_refuses() {
    // A sync middle layer that fans out to a thread: the coroutine belongs to the thread that
    // runs it, so a worker thread must be refused, not suspend someone else's coroutine.
    let fut = async_def(|| {
        awaitlet!(yield_now());
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let inside = in_async_def();
                    let message = panic_text(|| awaitlet!(ready(1)));
                    (inside, message)
                })
                .join()
                .unwrap()
        })
    });
    let (inside, message) = block_on(fut);
    assert!(!inside);
    assert!(message.contains(REFUSAL), "{message}");
}

#[test]
fn in_a_destructor_while_the_body_panics() {
    let observed = Rc::new(RefCell::new(Observed::default()));
    let slot = Rc::clone(&observed);
    let fut = async_def(move || {
        let _observer = observer(slot);
        awaitlet!(yield_now());
        panic!("body failed");
    });
    let message = panic_text(|| block_on(fut));
    assert_eq!(message, "body failed");

    let observed = observed.borrow().clone();
    assert_eq!(
        observed.in_async_def,
        Some(false),
        "in_async_def while unwinding"
    );
    let error = observed
        .try_awaitlet_error
        .expect("try_awaitlet must refuse while the thread is panicking");
    assert!(error.contains(REFUSAL), "{error}");
    assert_eq!(observed.future_back, Some(5));
}

#[test]
fn in_a_destructor_while_a_suspended_coroutine_is_dropped() {
    let observed = Rc::new(RefCell::new(Observed::default()));
    let slot = Rc::clone(&observed);
    let mut fut = Box::pin(async_def(move || {
        let _observer = observer(slot);
        awaitlet!(std::future::pending::<()>());
    }));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert_eq!(*observed.borrow(), Observed::default(), "ran too early");
    drop(fut);

    let observed = observed.borrow().clone();
    assert_eq!(
        observed.in_async_def,
        Some(false),
        "in_async_def while cancelled"
    );
    let error = observed
        .try_awaitlet_error
        .expect("try_awaitlet must refuse while the coroutine unwinds");
    assert!(error.contains(REFUSAL), "{error}");
    assert_eq!(observed.future_back, Some(5));
    assert!(!in_async_def());
}

#[test]
fn in_a_destructor_of_an_unstarted_coroutines_captures() {
    let observed = Rc::new(RefCell::new(Observed::default()));
    let captured = observer(Rc::clone(&observed));
    let fut = async_def(move || {
        let _captured = &captured;
        unreachable!("never polled");
    });
    drop(fut);
    let observed = observed.borrow().clone();
    assert_eq!(observed.in_async_def, Some(false));
    assert!(observed.try_awaitlet_error.is_some());
}

#[test]
fn refusals_leave_the_thread_usable() {
    let _ = panic_text(|| awaitlet!(ready(1)));
    let _ = try_awaitlet(ready(1)).unwrap_err();
    assert_eq!(block_on(async_def(|| awaitlet!(pending_then(1, 3)))), 3);
}

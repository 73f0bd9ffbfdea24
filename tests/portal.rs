//! Portals: a future polled on a coroutine stack, where `awaitlet!` suspends from anywhere,
//! including the middle of a poll: sync code called by the future's `async` code, sync code in a
//! hand-written `poll`, an `async` block awaited with `.await` or handed to `awaitlet!`. Values
//! flow back, borrowed state reaches the sync layer, each `Pending` inside is one `Pending`
//! outside, and a finished portal refuses further polls.

mod common;

use std::cell::Cell;
use std::future::{Future, poll_fn, ready};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use awaitlet::{Builder, awaitlet, in_async_def, portal, try_awaitlet};
use futures::executor::block_on;

use common::{panic_text, pending_then, poll_once, run_noop, yield_now};

/// Unchanged sync layer, handed borrowed state; its bottom awaits a future pending `pending`
/// times.
fn sync_layer(total: &mut u32, add: &u32, pending: usize) -> u32 {
    *total += awaitlet!(pending_then(pending, *add));
    *total
}

#[test]
fn a_ready_future_gives_its_value() {
    assert_eq!(block_on(portal(async { 6 * 7 })), 42);
    assert_eq!(block_on(portal(ready("ready"))), "ready");
}

#[test]
fn sync_code_called_by_async_code_awaits_with_borrowed_state() {
    let fut = portal(async {
        let mut total = 0;
        let step = 5;
        for _ in 0..3 {
            yield_now().await;
            sync_layer(&mut total, &step, 2);
        }
        total
    });
    assert_eq!(block_on(fut), 15);
    assert!(!in_async_def(), "the portal's frame was left in the slot");
}

#[test]
fn every_pending_inside_is_one_pending_outside() {
    // One `yield_now().await` in the async code, and three `Pending`s of the future awaited by
    // the sync layer it calls: four `Pending`s of the portal, then its value.
    let mut fut = portal(async {
        yield_now().await;
        let mut total = 1;
        sync_layer(&mut total, &10, 3)
    });
    for poll in 0..4 {
        assert!(poll_once(Pin::new(&mut fut)).is_pending(), "poll {poll}");
    }
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(11));
}

/// A hand-written future whose `poll` calls sync code that awaits, then counts its own polls.
struct SyncInPoll {
    polls: Rc<Cell<u32>>,
}

impl Future for SyncInPoll {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        let mut total = 100;
        Poll::Ready(sync_layer(&mut total, &1, 2))
    }
}

#[test]
fn sync_code_in_a_hand_written_poll_suspends_mid_poll() {
    let polls = Rc::new(Cell::new(0));
    let mut fut = portal(SyncInPoll {
        polls: Rc::clone(&polls),
    });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(101));
    // The coroutine was suspended twice inside one poll of `SyncInPoll`, never re-polled.
    assert_eq!(polls.get(), 1);
}

#[test]
fn an_async_block_awaited_with_dot_await_may_call_sync_code_that_awaits() {
    let fut = portal(async {
        let inner = async {
            let mut total = 0;
            sync_layer(&mut total, &7, 1)
        };
        inner.await + 1
    });
    assert_eq!(run_noop(fut, 10), 8);
}

#[test]
fn an_async_block_handed_to_awaitlet_may_call_sync_code_that_awaits() {
    // The refusal of `tests/refusal.rs` does not apply on a portal's stack.
    let fut = portal(async {
        let mut total = 0;
        let from_block = awaitlet!(async { sync_layer(&mut total, &3, 2) });
        (from_block, total)
    });
    assert_eq!(run_noop(fut, 10), (3, 3));
}

#[test]
fn awaitlet_inside_a_poll_fn_inside_a_portal_suspends() {
    let fut = portal(async {
        poll_fn(|_| {
            let inside = in_async_def();
            let value = try_awaitlet(pending_then(1, 9)).expect("a portal's poll may suspend");
            Poll::Ready((inside, value))
        })
        .await
    });
    assert_eq!(run_noop(fut, 10), (true, 9));
}

#[test]
fn deep_sync_recursion_inside_a_poll() {
    fn recurse(depth: u32) -> u32 {
        if depth == 0 {
            return awaitlet!(pending_then(1, 0));
        }
        let below = recurse(depth - 1);
        awaitlet!(yield_now());
        below + 1
    }
    let fut = Builder::new()
        .stack_size(256 * 1024)
        .portal(async { recurse(100) });
    assert_eq!(run_noop(fut, 1_000), 100);
}

#[test]
fn try_portal_reports_a_stack_that_cannot_be_made() {
    let error = Builder::new()
        .stack_size(usize::MAX)
        .try_portal(async { 1 })
        .expect_err("no stack of usize::MAX bytes");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn assert_await_occurs_counts_awaitlet_calls_on_the_portals_stack() {
    let fut = Builder::new()
        .assert_await_occurs(true)
        .portal(async { sync_layer(&mut 0, &1, 0) });
    assert_eq!(block_on(fut), 1);

    let never = Builder::new().assert_await_occurs(true).portal(async {
        yield_now().await;
        2
    });
    let message = panic_text(|| block_on(never));
    assert!(
        message.contains("returned without calling `awaitlet!`"),
        "{message}"
    );
}

#[test]
fn polling_a_finished_portal_panics() {
    let mut fut = pin!(portal(async { sync_layer(&mut 0, &1, 1) }));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert_eq!(poll_once(fut.as_mut()), Poll::Ready(1));
    assert_eq!(
        panic_text(|| poll_once(fut.as_mut())),
        "`AsyncDef` polled after completion"
    );
}

#[test]
fn outside_a_portal_a_poll_still_refuses() {
    // A portal inside an `async_def`: the async_def's own in-poll refusal is unchanged.
    let fut = awaitlet::async_def(|| {
        let in_portal = awaitlet!(portal(async { in_async_def() }));
        let in_poll = awaitlet!(poll_fn(|_| Poll::Ready(in_async_def())));
        (in_portal, in_poll)
    });
    assert_eq!(block_on(fut), (true, false));
}

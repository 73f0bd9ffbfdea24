//! Nesting portals and `async_def`s inside each other, both ways, to depth: each level suspends
//! its own coroutine only, every `Pending` at the bottom is one `Pending` at the top, values flow
//! back up, and the in-poll refusal applies exactly on the `async_def` levels.

mod common;

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;

use awaitlet::{AsyncDef, Builder, awaitlet, in_async_def, portal};

use common::{pending_then, poll_once, run_noop};

/// A chain of `depth` coroutines alternating between portal and `async_def`, starting with a
/// portal when `portal_first`; the innermost awaits a future pending `pending` times. Each
/// portal level awaits its child from sync code inside a poll; each `async_def` level from its
/// body, and checks that inside a poll it still may not suspend.
fn alternating(depth: u32, portal_first: bool, pending: usize) -> AsyncDef<u32> {
    let builder = Builder::new().stack_size(64 * 1024);
    if portal_first {
        builder.portal(async move {
            let below = if depth == 0 {
                awaitlet!(pending_then(pending, 0))
            } else {
                awaitlet!(alternating(depth - 1, false, pending))
            };
            let mid_poll = poll_fn(|_| Poll::Ready(in_async_def())).await;
            assert!(mid_poll, "a portal's poll may suspend at level {depth}");
            below + 1
        })
    } else {
        builder.async_def(move || {
            let below = if depth == 0 {
                awaitlet!(pending_then(pending, 0))
            } else {
                awaitlet!(alternating(depth - 1, true, pending))
            };
            let mid_poll = awaitlet!(poll_fn(|_| Poll::Ready(in_async_def())));
            assert!(!mid_poll, "an async_def's poll refuses at level {depth}");
            below + 1
        })
    }
}

#[test]
fn portal_outermost_forty_deep() {
    assert_eq!(run_noop(alternating(40, true, 3), 100), 41);
    assert!(!in_async_def());
}

#[test]
fn async_def_outermost_forty_deep() {
    assert_eq!(run_noop(alternating(40, false, 3), 100), 41);
    assert!(!in_async_def());
}

#[test]
fn each_pending_at_the_bottom_is_one_pending_at_the_top() {
    let mut fut = alternating(20, true, 5);
    for poll in 0..5 {
        assert!(poll_once(Pin::new(&mut fut)).is_pending(), "poll {poll}");
    }
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(21));
}

#[test]
fn a_portal_inside_a_portal_suspended_mid_poll_at_both_levels() {
    fn sync_inner() -> u32 {
        awaitlet!(pending_then(2, 4))
    }
    fn sync_outer() -> u32 {
        awaitlet!(portal(async { sync_inner() })) * 10
    }
    let mut fut = portal(async { async { sync_outer() }.await + 1 });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(41));
}

#[test]
fn dropping_the_outermost_of_a_deep_chain_unwinds_every_level() {
    let counter = common::DropCounter::new();
    fn chain(depth: u32, counter: common::DropCounter) -> AsyncDef<()> {
        let value = counter.value();
        Builder::new().stack_size(64 * 1024).portal(async move {
            let _value = value;
            if depth == 0 {
                awaitlet!(std::future::pending::<()>());
            } else {
                let child = awaitlet::async_def(move || awaitlet!(chain(depth - 1, counter)));
                async { awaitlet!(child) }.await;
            }
        })
    }
    let mut fut = chain(30, counter.clone());
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert_eq!(counter.dropped(), 0);
    drop(fut);
    assert_eq!(counter.dropped(), 31);
    assert!(!in_async_def());
}

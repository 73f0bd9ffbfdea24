//! Cancelling a portal: dropping it while it is suspended in the middle of a poll unwinds the
//! frames of that poll first, innermost first, then drops the future (its locals and its
//! captures); every destructor runs exactly once, before `drop` returns, and the thread's
//! coroutine state is clean afterwards. Destructors on the way may not suspend again.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use awaitlet::{AsyncDef, awaitlet, in_async_def, portal, try_awaitlet};

use common::{DropCounter, DropLog, Logged, pending_forever, poll_once, yield_now};

/// Sync code reached from inside a poll: holds a value across an `awaitlet!` that never ends.
fn sync_layer(log: &DropLog) {
    let _local = log.guard("sync local");
    awaitlet!(yield_now());
    awaitlet!(pending_forever(log, "awaited future"));
    unreachable!("the awaited future never completes");
}

/// A hand-written future whose `poll` calls the sync layer, with a value of its own on the stack
/// of that poll.
struct Polls {
    log: DropLog,
    _field: Logged,
}

impl Future for Polls {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let _in_poll = self.log.guard("poll local");
        sync_layer(&self.log);
        Poll::Ready(())
    }
}

/// A portal suspended forever inside `Polls::poll`, inside an `async` block, with something to
/// drop at every level.
fn layered(log: &DropLog) -> AsyncDef<()> {
    let capture = log.guard("capture");
    let log = log.clone();
    portal(async move {
        let _capture = capture;
        let _local = log.guard("async local");
        Polls {
            log: log.clone(),
            _field: log.guard("future field"),
        }
        .await;
    })
}

#[test]
fn dropping_a_portal_suspended_mid_poll_unwinds_the_poll_then_drops_the_future() {
    let log = DropLog::new();
    let mut fut = layered(&log);
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(log.entries().is_empty(), "dropped early: {log:?}");
    drop(fut);
    assert_eq!(
        log.entries(),
        [
            "awaited future",
            "sync local",
            "poll local",
            "future field",
            "async local",
            "capture"
        ],
        "the poll's frames unwind first, then the future is dropped, each once"
    );
    assert!(!in_async_def(), "the thread's slot was left set");
}

#[test]
fn dropping_a_portal_before_its_first_poll_drops_the_future_once() {
    let counter = DropCounter::new();
    let (value, ran) = (counter.value(), Rc::new(Cell::new(false)));
    let ran_inside = Rc::clone(&ran);
    let fut = portal(async move {
        ran_inside.set(true);
        drop(value);
    });
    drop(fut);
    assert_eq!(counter.dropped(), 1);
    assert!(
        !ran.get(),
        "the future was polled although the portal never was"
    );
}

#[test]
fn cancellation_at_each_poll_drops_everything_once() {
    // A portal with three suspension points mid-poll and one native; dropped after each number
    // of polls, every value is dropped exactly once.
    for polls in 0..=5 {
        let counter = DropCounter::new();
        let values: Vec<_> = (0..4).map(|_| counter.value()).collect();
        let mut fut = portal(async move {
            let [a, b, c, d] = <[_; 4]>::try_from(values).expect("four values");
            yield_now().await;
            let _a = a;
            async {
                let _b = b;
                awaitlet!(yield_now());
                awaitlet!(async {
                    let _c = c;
                    yield_now().await;
                    awaitlet!(yield_now());
                });
            }
            .await;
            drop(d);
        });
        let mut finished = false;
        for _ in 0..polls {
            if poll_once(Pin::new(&mut fut)).is_ready() {
                finished = true;
                break;
            }
        }
        if !finished {
            drop(fut);
        }
        assert_eq!(counter.dropped(), 4, "after {polls} polls");
        assert!(!in_async_def());
    }
}

/// Logs whether it could await while being dropped by the cancellation.
struct TriesToAwait(DropLog);

impl Drop for TriesToAwait {
    fn drop(&mut self) {
        let refused = try_awaitlet(std::future::ready(())).is_err();
        self.0.push(if refused { "refused" } else { "awaited" });
    }
}

#[test]
fn destructors_run_by_the_cancellation_cannot_suspend() {
    let log = DropLog::new();
    let inside = log.clone();
    let mut fut = portal(async move {
        async {
            let _tries = TriesToAwait(inside.clone());
            awaitlet!(std::future::pending::<()>());
        }
        .await;
    });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    drop(fut);
    assert_eq!(log.entries(), ["refused"]);
}

#[test]
fn a_portal_dropped_inside_an_async_def_unwinds_before_the_async_def_goes_on() {
    let log = DropLog::new();
    let inner_log = log.clone();
    let fut = awaitlet::async_def(move || {
        let mut inner = layered(&inner_log);
        // Poll the portal by hand from sync code: twice pending, then give up on it.
        for _ in 0..2 {
            let poll = awaitlet!(std::future::poll_fn(|cx| Poll::Ready(
                Pin::new(&mut inner).poll(cx)
            )));
            assert!(poll.is_pending());
        }
        drop(inner);
        inner_log.push("after drop");
        awaitlet!(yield_now());
        inner_log.count("capture")
    });
    assert_eq!(common::run_noop(fut, 10), 1);
    assert_eq!(
        log.entries(),
        [
            "awaited future",
            "sync local",
            "poll local",
            "future field",
            "async local",
            "capture",
            "after drop"
        ]
    );
}

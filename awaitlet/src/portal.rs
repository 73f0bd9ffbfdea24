//! Portals: a future polled on a coroutine stack, where `awaitlet!` may suspend in the middle of
//! any poll.
//!
//! An `async_def` polls each awaited future with the poller's `Context`, which dies when the
//! poller's `poll` returns; so it must not suspend while a poll is under way, and `awaitlet!`
//! refuses there. A portal's coroutine instead polls with a `Context` of its own, built on its
//! stack from a waker that never changes ([`WakerCell`]), so every `Context` on that stack stays
//! valid across any number of suspensions. The frame (`context.rs`) carries that waker, and an
//! `awaitlet!` on the portal's stack ([`await_in_portal`]) polls with it and keeps the slot at
//! `Running`: a nested `awaitlet!`, however deep inside some `poll`, suspends the coroutine with
//! every frame of that poll intact.
//!
//! The stable waker is a handle on a [`WakerCell`], into which every poll of the portal's
//! `AsyncDef` stores the poller's waker before it resumes the coroutine: a wake reaches the task
//! that last polled the portal, wherever the portal has moved since it was created.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;

use atomic_waker::AtomicWaker;

use crate::context::Frame;

/// The one allocation of a portal: the waker of the task that last polled it.
///
/// `AtomicWaker` because the portal's waker is `Send + Sync` like any other, so a wake may come
/// from another thread while the portal's task stores a new waker.
#[derive(Debug, Default)]
pub(crate) struct WakerCell(AtomicWaker);

impl WakerCell {
    /// Records the waker of the poll that is about to resume the portal. Cheap when it is the
    /// same task as last time (`Waker::will_wake`): no clone.
    #[inline]
    pub(crate) fn register(&self, waker: &Waker) {
        self.0.register(waker);
    }
}

impl Wake for WakerCell {
    fn wake(self: Arc<Self>) {
        self.0.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.wake();
    }
}

/// Polls `future` to completion on the portal coroutine that owns `frame`, with a `Context` made
/// from the portal's stable `waker`, suspending the coroutine while it is pending.
///
/// It is the portal's own loop (the body of every portal) and the loop of every `awaitlet!` on
/// its stack. The slot stays `Running` throughout, so an `awaitlet!` inside `poll` suspends too.
// Inlined for the reason `suspend::awaitlet` is: a resumed coroutine goes on in its caller's frame.
#[inline(always)]
pub(crate) fn await_in_portal<Fut: Future>(
    frame: &Frame,
    waker: &Waker,
    future: Fut,
) -> Fut::Output {
    let mut future = pin!(future);
    // Lives on the coroutine stack as long as the future is polled, across suspensions: its
    // waker is the portal's, valid whoever polls the portal next.
    let mut cx = Context::from_waker(waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => {
                frame.suspend();
                // The resuming poll left its own value in the slot (see `Frame::suspend`).
                frame.enter();
            }
        }
    }
}

/// What runs on a portal's coroutine: the future, polled to completion.
pub(crate) fn run<Fut: Future>(frame: &Frame, future: Fut) -> Fut::Output {
    let waker = frame
        .portal_waker()
        .expect("a portal's frame carries the portal's waker");
    await_in_portal(frame, waker, future)
}

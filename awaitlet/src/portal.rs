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
//! that last polled the portal, wherever the portal has moved since it was created. A wake that
//! comes while the portal is being polled, before it resumes, may reach the previous poller
//! instead; that is harmless, since the resume that follows is itself a poll after the wake.

use core::cell::{Cell, UnsafeCell};
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Wake;

use crate::context::Frame;

/// The one allocation of a portal: the waker of the task that last polled it.
///
/// A portal is `!Send`, so it is always polled on the thread that made it, its owner, and most
/// wakes come from that thread too (a current-thread runtime, a `LocalSet`, a future that wakes
/// itself). Those go through `local` without a single atomic operation: a poll only compares the
/// poller's waker with the stored one (`Waker::will_wake`), and a wake calls the stored waker's
/// `wake_by_ref`. Wakes from other threads (an I/O driver, a channel sender) read `remote`, a copy
/// under a mutex, updated only when the poller's waker changes, and first stored when the portal
/// first suspends: a portal that finishes in its first poll never locks it. A wake from another
/// thread that finds no waker there yet is remembered (`Remote::missed`) and delivered by
/// [`WakerCell::suspended`].
#[derive(Debug)]
pub(crate) struct WakerCell {
    /// The thread that makes and polls the portal ([`thread_id`]).
    owner: u64,
    /// The poller's waker. Only touched on the owner thread.
    local: UnsafeCell<Option<Waker>>,
    /// Set while a wake on the owner thread is calling the waker in `local`, which must not be
    /// replaced meanwhile. Only touched on the owner thread.
    waking: Cell<bool>,
    /// Whether `remote` has not been stored yet. Only touched on the owner thread.
    remote_unset: Cell<bool>,
    /// The poller's waker, for wakes from other threads.
    remote: Mutex<Remote>,
}

/// The waker for wakes from other threads.
#[derive(Debug, Default)]
struct Remote {
    waker: Option<Waker>,
    /// A wake came from another thread before the first suspension stored `waker`.
    missed: bool,
}

// SAFETY: the fields that are not `Sync`, `local`, `waking` and `remote_unset`, are only read or
// written after
// checking that the current thread is `owner` (`on_owner`), so only one thread ever touches them;
// other threads use `remote` (a `Mutex`) and `owner` (never written after creation). On the owner
// thread, re-entrance (a waker's code that wakes or polls the portal again) is handled with
// `waking`, see `register` and `wake_by_ref`. Every field is `Send` (`Waker` is), so the cell is.
unsafe impl Sync for WakerCell {}

impl WakerCell {
    /// A cell for a portal made on this thread.
    pub(crate) fn new() -> Self {
        WakerCell {
            owner: thread_id(),
            local: UnsafeCell::new(None),
            waking: Cell::new(false),
            remote_unset: Cell::new(true),
            remote: Mutex::default(),
        }
    }

    /// Whether this is the owner thread. Never while thread-locals are being destroyed, when
    /// `thread_id` cannot tell threads apart: a portal made then has no owner, and takes the
    /// paths of other threads throughout.
    fn on_owner(&self) -> bool {
        let id = thread_id();
        id != 0 && id == self.owner
    }

    /// Records the waker of the poll that is about to resume the portal. Nothing but a
    /// comparison when it is the same task as last time.
    #[inline]
    pub(crate) fn register(&self, waker: &Waker) {
        if !self.on_owner() || self.waking.get() {
            // Polled from a wake through `local` (an executor that polls inside `wake`), which
            // must not be replaced now; or, through `unsafe` code, from another thread. Wake the
            // new poller instead: it polls again, and registers then.
            let _ = self.store_remote(waker);
            waker.wake_by_ref();
            return;
        }
        // SAFETY: on the owner thread, and no wake through `local` is under way (`waking` is
        // clear), so nothing else refers to it; `will_wake` compares pointers and runs no code.
        let same = unsafe { &*self.local.get() }
            .as_ref()
            .is_some_and(|stored| stored.will_wake(waker));
        if !same {
            self.replace(waker);
        }
    }

    #[cold]
    fn replace(&self, waker: &Waker) {
        // Cloning runs the waker's own code, before any reference to `local` exists.
        let new = waker.clone();
        // SAFETY: on the owner thread (checked by `register`), with no wake under way; moving a
        // value in and out runs no code, so no other reference to `local` can appear meanwhile.
        let old = unsafe { (*self.local.get()).replace(new) };
        if !self.remote_unset.get() {
            self.store_remote(waker);
        }
        // Dropped last: a waker's drop may run code that wakes this cell.
        drop(old);
    }

    /// Called when the portal has suspended, the poll's `waker` in hand: stores the waker for
    /// other threads the first time, and delivers a wake from another thread that came before.
    #[inline]
    pub(crate) fn suspended(&self, waker: &Waker) {
        if self.remote_unset.get() && self.on_owner() {
            self.remote_unset.set(false);
            if self.store_remote(waker) {
                waker.wake_by_ref();
            }
        }
    }

    /// Stores `waker` for wakes from other threads; returns whether one of them found none.
    fn store_remote(&self, waker: &Waker) -> bool {
        let new = waker.clone();
        let (old, missed) = {
            let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            let missed = core::mem::take(&mut remote.missed);
            (remote.waker.replace(new), missed)
        };
        drop(old);
        missed
    }
}

impl Wake for WakerCell {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.on_owner() {
            if self.waking.replace(true) {
                // A wake through `local` is already under way on this thread: it wakes the task.
                return;
            }
            let _clear = ClearOnDrop(&self.waking);
            // SAFETY: on the owner thread; `waking` now keeps `register` from replacing the
            // waker while this reference lives, and nothing else writes `local`.
            if let Some(waker) = unsafe { &*self.local.get() } {
                waker.wake_by_ref();
            }
        } else {
            // Cloned under the lock, woken outside it.
            let waker = {
                let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
                remote.missed |= remote.waker.is_none();
                remote.waker.clone()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// Clears a flag when dropped, also when the code between panics.
struct ClearOnDrop<'a>(&'a Cell<bool>);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// A number for the current thread, unique for the life of the process; 0, shared by every such
/// thread, while the thread's locals are being destroyed.
#[inline]
fn thread_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static ID: Cell<u64> = const { Cell::new(0) };
    }
    ID.try_with(|id| {
        if id.get() == 0 {
            id.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        id.get()
    })
    .unwrap_or(0)
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

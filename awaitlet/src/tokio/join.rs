//! [`JoinHandle`] and [`JoinError`]: the `Send` side of a coroutine pinned to a pool thread.
//!
//! The call and its handle share one [`Shared`] state behind a mutex. Every operation on it is a
//! few field updates, and a call already costs two hand-offs between threads, so a lock-free
//! protocol would buy nothing measurable; the mutex keeps every transition obvious. Wakers are
//! always woken after the lock is released, so no foreign code runs while it is held.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::any::Any;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::future::panic_text;

/// The state a pinned call shares with its [`JoinHandle`].
pub(crate) struct Shared<R> {
    state: Mutex<State<R>>,
}

struct State<R> {
    /// What the call ended with, until the handle takes it.
    output: Option<Result<R, JoinError>>,
    /// The call has ended; its output may have been taken since.
    finished: bool,
    /// The handle was dropped: nobody will take the output.
    detached: bool,
    /// `abort()` was called; the call sees it on its next poll.
    abort_requested: bool,
    /// Wakes the task that awaits the handle.
    join_waker: Option<Waker>,
    /// Wakes the call's task on its pool thread, so that it sees an abort.
    call_waker: Option<Waker>,
}

impl<R> Shared<R> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Shared {
            state: Mutex::new(State {
                output: None,
                finished: false,
                detached: false,
                abort_requested: false,
                join_waker: None,
                call_waker: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<R>> {
        // Nothing panics while the lock is held (no foreign code runs under it), so a poisoned
        // lock still holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// For the call: whether `abort()` was requested. If not, `waker` will be woken when it is.
    pub(crate) fn abort_requested(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if state.abort_requested {
            return true;
        }
        match &state.call_waker {
            Some(known) if known.will_wake(waker) => {}
            _ => state.call_waker = Some(waker.clone()),
        }
        false
    }

    /// For the call: it has ended with `output`, which goes to the handle (or is dropped here, if
    /// the handle was dropped).
    pub(crate) fn complete(&self, output: Result<R, JoinError>) {
        let mut state = self.lock();
        debug_assert!(!state.finished, "a pinned call completed twice");
        state.finished = true;
        state.call_waker = None;
        if state.detached {
            drop(state);
            drop(output);
            return;
        }
        state.output = Some(output);
        let waker = state.join_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// An owned permission to await a call started by [`spawn_pinned`](crate::tokio::spawn_pinned),
/// and to abort it.
///
/// Awaiting it returns what the call's sync code returned, or a [`JoinError`] if it panicked or
/// was aborted. It is `Send`, `Sync` (when `R: Send`) and `Unpin`, so it can be awaited from any
/// task on any thread, from a thread with no runtime at all (`futures::executor::block_on`), or
/// with [`awaitlet!`](crate::awaitlet!) from another coroutine.
///
/// Dropping the handle detaches the call, as dropping a tokio `JoinHandle` does: it runs on to
/// its end, and what it returns is dropped on its pool thread. To cancel it, call
/// [`abort`](JoinHandle::abort) first.
///
/// ```
/// # fn main() {
/// let handle = awaitlet::tokio::spawn_pinned(|| {
///     // Sync code on a pool thread's coroutine, with that thread's tokio runtime.
///     awaitlet::awaitlet!(tokio::time::sleep(std::time::Duration::from_millis(1)));
///     std::thread::current().name().map(str::to_owned)
/// });
/// let thread = futures::executor::block_on(handle).unwrap();
/// assert!(thread.unwrap().starts_with("awaitlet-pinned-"));
/// # }
/// ```
pub struct JoinHandle<R> {
    shared: Arc<Shared<R>>,
}

impl<R> JoinHandle<R> {
    pub(crate) fn new(shared: Arc<Shared<R>>) -> Self {
        JoinHandle { shared }
    }

    /// Cancels the call, unless it has finished already.
    ///
    /// The call's pool thread sees the request at once, even while the coroutine is suspended: it
    /// drops the coroutine there, which unwinds its stack and runs every destructor on it exactly
    /// once, as dropping an [`AsyncDef`](crate::AsyncDef) does. That happens on the pool thread,
    /// soon after `abort` returns, not before. Awaiting the handle then gives a [`JoinError`]
    /// whose [`is_cancelled`](JoinError::is_cancelled) is `true`, once those destructors have
    /// run; a call that finished before it saw the request gives its output as usual.
    ///
    /// A call that has not started yet never starts: its closure is dropped, on its pool thread.
    pub fn abort(&self) {
        let mut state = self.shared.lock();
        if state.finished || state.abort_requested {
            return;
        }
        state.abort_requested = true;
        let waker = state.call_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether the call has ended: returned, panicked or been cancelled. Awaiting the handle then
    /// completes without waiting.
    pub fn is_finished(&self) -> bool {
        self.shared.lock().finished
    }
}

impl<R> Future for JoinHandle<R> {
    type Output = Result<R, JoinError>;

    /// # Panics
    ///
    /// When polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if let Some(output) = state.output.take() {
            return Poll::Ready(output);
        }
        if state.finished {
            drop(state);
            panic!("`JoinHandle` polled after completion");
        }
        match &state.join_waker {
            Some(known) if known.will_wake(cx.waker()) => {}
            _ => state.join_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<R> Drop for JoinHandle<R> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.detached = true;
        // Dropped after the lock is released: its destructor is the user's code.
        let output = state.output.take();
        let waker = state.join_waker.take();
        drop(state);
        drop((output, waker));
    }
}

impl<R> fmt::Debug for JoinHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

/// Why a call awaited through a [`JoinHandle`] gave no output: its sync code panicked, or it was
/// cancelled with [`JoinHandle::abort`].
///
/// A panic keeps its payload, which [`into_panic`](JoinError::into_panic) hands back, for
/// instance to [`std::panic::resume_unwind`]. The panic itself was already reported on the pool
/// thread by the panic hook, as for any panic.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// In a `Mutex` so that `JoinError` is `Sync`, as error types are expected to be, while the
    /// payload is only `Send`.
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    pub(crate) fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Self {
        JoinError {
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// Whether the call was cancelled by [`JoinHandle::abort`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the call's sync code panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The payload the sync code panicked with.
    ///
    /// ```
    /// let handle = awaitlet::tokio::spawn_pinned(|| -> u32 { panic!("boom") });
    /// let error = futures::executor::block_on(handle).unwrap_err();
    /// let payload = error.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    ///
    /// # Panics
    ///
    /// When the call did not panic (it was cancelled); [`try_into_panic`](JoinError::try_into_panic)
    /// returns the error back instead.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().unwrap_or_else(|error| {
            panic!("`JoinError::into_panic` called on an error that is not a panic: {error}")
        })
    }

    /// The payload the sync code panicked with, or the error itself when the call was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => {
                Ok(payload.into_inner().unwrap_or_else(PoisonError::into_inner))
            }
            Repr::Cancelled => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("pinned call was cancelled"),
            Repr::Panic(payload) => {
                let payload = payload.lock().unwrap_or_else(PoisonError::into_inner);
                match panic_text(&**payload) {
                    Some(text) => write!(f, "pinned call panicked with message {text:?}"),
                    None => f.write_str("pinned call panicked"),
                }
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
            Repr::Panic(payload) => {
                let payload = payload.lock().unwrap_or_else(PoisonError::into_inner);
                match panic_text(&**payload) {
                    Some(text) => write!(f, "JoinError::Panic({text:?}, ..)"),
                    None => f.write_str("JoinError::Panic(..)"),
                }
            }
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    /// An error of kind [`Other`](io::ErrorKind::Other) whose message is the `JoinError`'s.
    fn from(error: JoinError) -> Self {
        io::Error::other(error.to_string())
    }
}

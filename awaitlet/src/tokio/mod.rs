//! tokio integration (feature `tokio`): a sound way in from `Send` code, and [`SyncIo`], blocking
//! `std::io` over tokio's async I/O traits for sync code running in an `async_def`.
//!
//! An [`AsyncDef`](crate::AsyncDef) is `!Send`, and stays so: its coroutine stack may hold
//! `!Send` values across an `awaitlet!`, so it must never change thread. But `tokio::spawn` on the
//! default multi-thread runtime, axum handlers and most servers need `Send` futures. This module
//! bridges the two without moving any stack: the coroutine runs on a thread of a process-wide pool,
//! and what crosses threads is a [`JoinHandle`].
//!
//! - [`spawn_pinned(f)`](spawn_pinned) runs `async_def(f)` on the least-loaded pool thread and
//!   returns a `Send + Sync` handle. [`Builder::spawn_pinned`](crate::Builder::spawn_pinned) does
//!   the same with a `stack_size` or `assert_await_occurs`.
//! - [`spawn_pinned_portal(|| async { .. })`](spawn_pinned_portal) does the same for async code:
//!   the closure makes a future on the pool thread, which runs there in a
//!   [`portal`](crate::portal()), so it need not be `Send` (tokio-util's
//!   `LocalPoolHandle::spawn_pinned` has the same shape).
//! - `#[async_def(send)]` makes an `async fn` whose future is `Send`: its body runs through
//!   `spawn_pinned` (`spawn_pinned_portal` for an `async fn`), and awaiting the future awaits the
//!   handle.
//!
//! ```
//! use awaitlet::{async_def, awaitlet};
//!
//! // Unchanged sync code that awaits at the bottom.
//! fn lookup(n: u64) -> u64 {
//!     awaitlet!(tokio::time::sleep(std::time::Duration::from_millis(1)));
//!     n + 1
//! }
//!
//! #[async_def(send)]
//! fn api(n: u64) -> u64 {
//!     lookup(n)
//! }
//!
//! #[tokio::main] // the multi-thread runtime
//! async fn main() {
//!     // `tokio::spawn` needs a `Send` future: `send` makes it one.
//!     let answer = tokio::spawn(api(41)).await.unwrap();
//!     assert_eq!(answer, 42);
//! }
//! ```
//!
//! # The pool
//!
//! Each pool thread runs a tokio current-thread runtime, with the I/O and time drivers on, and a
//! `LocalSet`. So inside the sync code `tokio::time`, `tokio::net` and `tokio::spawn` (onto that
//! thread's runtime) work, and so does any I/O object made on the caller's runtime and passed in
//! by value, such as a `TcpStream`: tokio's I/O objects may be polled from any thread while their
//! runtime is running. A new call goes to the thread with the fewest live calls. The pool starts
//! on first use, with one thread per core ([`std::thread::available_parallelism`]), or as many as
//! [`set_pool_size`] said before that; it lives as long as the process.
//!
//! Calls on one pool thread share it as tasks share a current-thread runtime: sync code that
//! blocks for real (`std::thread::sleep`, blocking file I/O, a long computation) stops every other
//! call on that thread until it returns. Only what goes through `awaitlet!` is asynchronous. So
//! inside a pinned call, await another one with `awaitlet!(handle)`, never by blocking on it
//! (`futures::executor::block_on`): it may have been placed on the very thread that is blocked.
//! When a pool thread has been inside one poll of a call for 5 seconds, awaitlet prints a warning
//! to stderr naming the thread and the likely causes, once per blocked poll;
//! [`set_blocked_warning`] changes the threshold or turns it off.
//!
//! # Cancellation and shutdown
//!
//! [`JoinHandle::abort`] cancels a call: its pool thread drops the coroutine, which unwinds its
//! stack and runs every destructor on it once, as dropping an `AsyncDef` does, but on the pool
//! thread, shortly after `abort` returns. Dropping an `#[async_def(send)]` future does the same.
//! Dropping a `JoinHandle` without aborting detaches the call, which runs on to its end.
//!
//! When the caller's runtime shuts down, its tasks are dropped, and with them their handles and
//! `#[async_def(send)]` futures: those calls are cancelled (their destructors run on the pool),
//! detached ones run on. A call that still uses an I/O object of a runtime that has shut down
//! gets the error tokio gives for that (the pool threads' own runtimes never shut down). When the
//! process exits, the pool threads stop where they are, like every thread: a call suspended then
//! is not unwound, and the destructors on its stack do not run.
//!
//! # `fork`
//!
//! A child process made by `fork` gets a copy of the parent's memory but only the thread that
//! called `fork`: if the pool had started in the parent, the child has the pool without its
//! threads. So in such a child, `spawn_pinned` and every `#[async_def(send)]` call panic with a
//! message saying that the pool's threads do not survive `fork`, instead of waiting forever for a
//! thread that is not there; a handle from before the fork never completes in the child.
//! The pool is not started again: a child of a multi-threaded process should not rely on much
//! more than exec'ing a program. A plain `#[async_def]` works in the child as anywhere, and a
//! child forked before the pool's first use starts a pool of its own on its first pinned call.
//!
//! # Compared with the thread bridge
//!
//! `tokio::task::spawn_blocking` with `Handle::block_on` also runs sync code from `Send` code, but
//! it holds an OS thread for each call while it waits, out of 512 by default. A pinned call holds
//! only a coroutine stack while it waits, so ten thousand calls that wait on a timer need ten
//! thousand stacks on a couple of threads, not ten thousand threads. tokio-util's
//! `LocalPoolHandle::spawn_pinned` runs `!Send` futures on a pool too, but it spawns a forwarding
//! task on the caller's runtime for each call, and needs to be called from within a runtime.
//!
//! Frameworks whose handlers already run on a per-thread `LocalSet`, such as actix-web, need none
//! of this: a plain `#[async_def]` fn can be awaited there directly.

use core::future::Future;

mod call;
mod join;
mod pool;
mod watchdog;

pub use self::join::{JoinError, JoinHandle};
pub(crate) use self::pool::on_start as on_pool_start;
pub use self::pool::{PoolStarted, pool_size, set_pool_runtime, set_pool_size};
pub use self::watchdog::set_blocked_warning;
pub use crate::sync_io::tokio::SyncIo;

use self::call::{PinnedCall, PortalBody, Start, SyncBody};
use self::join::Shared;
use self::watchdog::Watched;
use crate::Builder;

/// Runs `f` on a coroutine of its own on a thread of the pool, and returns a `Send` handle to it.
///
/// This is [`async_def(f)`](crate::async_def()) for `Send` code: `f` runs exactly as it would
/// there, and [`awaitlet!`](crate::awaitlet!) works at any depth inside it, but the coroutine
/// lives on the least-loaded pool thread (see the [module docs](self)) for its whole life, and
/// the caller gets a [`JoinHandle`] that can be awaited from any thread, with or without a
/// runtime, or from another coroutine. The call starts at once, whether or not the handle is
/// awaited.
///
/// ```
/// # #[tokio::main]
/// # async fn main() {
/// // On the multi-thread runtime; the closure and its output are `Send`.
/// let handle = awaitlet::tokio::spawn_pinned(|| {
///     let rc = std::rc::Rc::new(5); // `!Send` values are fine inside: the stack stays put
///     awaitlet::awaitlet!(tokio::task::yield_now());
///     *rc * 2
/// });
/// assert_eq!(handle.await.unwrap(), 10);
/// # }
/// ```
///
/// A panic in `f` ends the call with a [`JoinError`] that carries the payload, reported on the
/// pool thread by the panic hook, as for any panic. If the coroutine's stack cannot be mapped,
/// the call panics there just as [`async_def`](crate::async_def()) would, with the same message
/// (the hook prints it), and ends with a `JoinError` whose panic payload is that `String`; `f` is
/// then dropped on the pool thread, and if one of its captures panics in its destructor, that
/// panic is the `JoinError`'s payload instead.
///
/// # Panics
///
/// When the pool cannot be started, on first use (out of memory, or a limit on threads), and in a
/// child process forked after the pool started (see [`fork`](self#fork)).
pub fn spawn_pinned<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Builder::new().spawn_pinned(f)
}

impl Builder {
    /// Like [`spawn_pinned`], with this builder's `stack_size` and `assert_await_occurs`
    /// (feature `tokio`).
    ///
    /// ```
    /// use awaitlet::Builder;
    ///
    /// let handle = Builder::new()
    ///     .stack_size(64 * 1024)
    ///     .spawn_pinned(|| awaitlet::awaitlet!(async { 6 * 7 }));
    /// assert_eq!(futures::executor::block_on(handle).unwrap(), 42);
    /// ```
    ///
    /// # Panics
    ///
    /// When the pool cannot be started, on first use, and in a child process forked after it
    /// started (see [`fork`](self#fork)).
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn spawn_pinned<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_call(SyncBody(f))
    }

    /// Like [`spawn_pinned_portal`], with this builder's `stack_size` and `assert_await_occurs`
    /// (feature `tokio`).
    ///
    /// ```
    /// use awaitlet::Builder;
    ///
    /// let handle = Builder::new()
    ///     .stack_size(64 * 1024)
    ///     .spawn_pinned_portal(|| async { awaitlet::awaitlet!(async { 6 * 7 }) });
    /// assert_eq!(futures::executor::block_on(handle).unwrap(), 42);
    /// ```
    ///
    /// # Panics
    ///
    /// When the pool cannot be started, on first use.
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn spawn_pinned_portal<F, Fut>(self, make: F) -> JoinHandle<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        self.spawn_call(PortalBody(make))
    }

    /// Hands `start` to the least-loaded pool thread, which runs it as a task of its `LocalSet`.
    fn spawn_call<S>(self, start: S) -> JoinHandle<S::Output>
    where
        S: Start + Send,
        S::Output: Send,
    {
        let shared = Shared::new();
        let handle = JoinHandle::new(shared.clone());
        // The caller's span goes with the call, as `Instrument` takes it into a spawned task: the
        // body's spans and events sit under it.
        #[cfg(feature = "tracing")]
        let span = tracing::Span::current();
        pool::submit(Box::new(move |load| {
            // On the pool thread, inside its `LocalSet`.
            let call = PinnedCall::new(self, start, shared, load);
            #[cfg(feature = "tracing")]
            let call = tracing::Instrument::instrument(call, span);
            ::tokio::task::spawn_local(Watched::new(call));
        }));
        handle
    }
}

/// Runs the future that `make` makes on a thread of the pool, in a [`portal`](crate::portal()),
/// and returns a `Send` handle to it.
///
/// This is [`spawn_pinned`] for async code, in the shape of tokio-util's
/// `LocalPoolHandle::spawn_pinned(|| async { .. })`: `make` is `Send` and runs on the pool
/// thread, and the future it returns stays there, so it need not be `Send`, and sync code that
/// it calls may `awaitlet!` with borrowed state. Only the output crosses back. Everything else is
/// as for [`spawn_pinned`]: placement, panics ([`JoinError`] with the payload, including a panic
/// in `make`), cancellation with [`JoinHandle::abort`].
///
/// ```
/// use std::rc::Rc;
///
/// fn sync_layer(counter: &Rc<std::cell::Cell<u32>>) -> u32 {
///     awaitlet::awaitlet!(tokio::task::yield_now());
///     counter.get() * 2
/// }
///
/// # #[tokio::main]
/// # async fn main() {
/// // On the multi-thread runtime: the closure and the output are `Send`, the future is not.
/// let handle = awaitlet::tokio::spawn_pinned_portal(|| async {
///     let counter = Rc::new(std::cell::Cell::new(21));
///     tokio::task::yield_now().await;
///     sync_layer(&counter)
/// });
/// assert_eq!(handle.await.unwrap(), 42);
/// # }
/// ```
///
/// # Panics
///
/// When the pool cannot be started, on first use (out of memory, or a limit on threads).
pub fn spawn_pinned_portal<F, Fut>(make: F) -> JoinHandle<Fut::Output>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    Builder::new().spawn_pinned_portal(make)
}

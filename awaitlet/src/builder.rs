//! [`Builder`]: the knobs of an `async_def`, and the fallible way to make one.

use core::future::Future;
use std::io;

use crate::future::AsyncDef;
use crate::stack::{self, DEFAULT_STACK_SIZE};

/// Configures and creates [`AsyncDef`] futures.
///
/// ```
/// use awaitlet::{Builder, awaitlet};
///
/// let fut = Builder::new()
///     .stack_size(256 * 1024)
///     .assert_await_occurs(true)
///     .try_async_def(|| awaitlet!(async { 6 * 7 }))
///     .expect("mapping a coroutine stack");
/// assert_eq!(futures::executor::block_on(fut), 42);
/// ```
///
/// `#[async_def(stack_size = N, assert_await_occurs)]` uses the same settings.
///
/// A `Builder` is `Copy`: keep one and make many futures with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builder {
    pub(crate) stack_size: usize,
    pub(crate) assert_await_occurs: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The defaults: a 1 MiB stack ([`DEFAULT_STACK_SIZE`](crate::DEFAULT_STACK_SIZE)), no
    /// `assert_await_occurs`.
    pub const fn new() -> Self {
        Builder {
            stack_size: DEFAULT_STACK_SIZE,
            assert_await_occurs: false,
        }
    }

    /// Usable bytes of the coroutine stack, rounded up to whole pages (4 KiB at least), plus a
    /// guard page.
    ///
    /// The memory is reserved, not committed: pages cost RAM only once the sync code has used
    /// them, and a finished stack beyond what the per-thread pool keeps gives them back. Running
    /// off the end hits the guard page, never silent corruption: the process aborts with a message
    /// that says a coroutine overflowed its stack and names this setting (on Linux and Android; see
    /// the README for other systems). If deep recursion or large locals get there, raise it.
    ///
    /// Printing a panic's backtrace takes stack too: with 16 KiB or less and `RUST_BACKTRACE=1`,
    /// a panic on the coroutine, even one the sync code catches, can overflow while the panic
    /// hook prints it.
    pub const fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// When `true`, finishing without a single `awaitlet!` call (ready or not) panics.
    ///
    /// Like Python awaitlet's `assert_await_occurs`, it counts calls, not suspensions: it catches
    /// a port whose sync code never reached the I/O that was meant to go through `awaitlet!`.
    pub const fn assert_await_occurs(mut self, enabled: bool) -> Self {
        self.assert_await_occurs = enabled;
        self
    }

    /// Creates the future that runs `f` on a coroutine configured by this builder.
    ///
    /// # Panics
    ///
    /// When the stack cannot be mapped (see [`Builder::try_async_def`]).
    #[track_caller]
    pub fn async_def<F, R>(self, f: F) -> AsyncDef<R>
    where
        F: FnOnce() -> R + 'static,
        R: 'static,
    {
        let stack = stack::allocate(self.stack_size).unwrap_or_else(|error| stack_failure(error));
        AsyncDef::new(&self, stack, f)
    }

    /// Like [`Builder::async_def`], but a stack that cannot be made is an error rather than a
    /// panic.
    ///
    /// The error is `ErrorKind::InvalidInput` for a `stack_size` over 1 TiB (1 GiB on 32-bit
    /// targets), and otherwise says
    /// which limit of the process stood in the way and how to raise it: memory mappings
    /// (`vm.max_map_count`), address space (`RLIMIT_AS`, `RLIMIT_DATA`, or all of it), or memory
    /// (strict overcommit). Stacks are carved from shared reservations, so on Linux 6.13 and later
    /// the mapping limit is out of reach in practice (a million 64 KiB stacks take a few dozen
    /// mappings); without `MADV_GUARD_INSTALL` each stack takes two, about 30,000 live coroutines
    /// under the default limit. The crate stops a reserve short of each limit it can measure, so
    /// that a process with as many coroutines as it can hold still starts threads and allocates:
    /// after this error the program can go on, and report it.
    ///
    /// ```
    /// let fut = awaitlet::Builder::new()
    ///     .stack_size(usize::MAX)
    ///     .try_async_def(|| ());
    /// assert_eq!(fut.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn try_async_def<F, R>(self, f: F) -> io::Result<AsyncDef<R>>
    where
        F: FnOnce() -> R + 'static,
        R: 'static,
    {
        let stack = stack::allocate(self.stack_size)?;
        Ok(AsyncDef::new(&self, stack, f))
    }

    /// Creates a [`portal`](crate::portal()) that polls `future` on a coroutine configured by this
    /// builder.
    ///
    /// With `assert_await_occurs`, finishing without a single `awaitlet!` call on the portal's
    /// stack panics.
    ///
    /// # Panics
    ///
    /// When the stack cannot be mapped (see [`Builder::try_portal`]).
    #[track_caller]
    pub fn portal<F>(self, future: F) -> AsyncDef<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let stack = stack::allocate(self.stack_size).unwrap_or_else(|error| stack_failure(error));
        AsyncDef::portal(&self, stack, future)
    }

    /// Like [`Builder::portal`], but a stack that cannot be made is an error rather than a panic,
    /// the error of [`Builder::try_async_def`].
    ///
    /// ```
    /// let fut = awaitlet::Builder::new()
    ///     .stack_size(64 * 1024)
    ///     .try_portal(async { 6 * 7 })
    ///     .expect("mapping a coroutine stack");
    /// assert_eq!(futures::executor::block_on(fut), 42);
    /// ```
    pub fn try_portal<F>(self, future: F) -> io::Result<AsyncDef<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let stack = stack::allocate(self.stack_size)?;
        Ok(AsyncDef::portal(&self, stack, future))
    }

    /// Like [`Builder::async_def`] for a closure that borrows.
    ///
    /// # Safety
    ///
    /// ## Caller
    ///
    /// The same contract as [`async_def_unchecked`](crate::async_def_unchecked).
    ///
    /// # Panics
    ///
    /// When the stack cannot be mapped.
    #[track_caller]
    pub unsafe fn async_def_unchecked<F, R>(self, f: F) -> AsyncDef<R>
    where
        F: FnOnce() -> R,
    {
        let stack = stack::allocate(self.stack_size).unwrap_or_else(|error| stack_failure(error));
        // SAFETY: our caller takes on the contract of `async_def_unchecked`, which is the one
        // `AsyncDef::new_unchecked` asks for.
        unsafe { AsyncDef::new_unchecked(&self, stack, f) }
    }
}

/// What [`Builder::async_def`] panics with when the stack cannot be made; a pinned call whose stack
/// cannot be made panics with the same message on its pool thread (see `tokio/call.rs`).
#[cold]
#[track_caller]
pub(crate) fn stack_failure(error: io::Error) -> ! {
    panic!(
        "{error}; `Builder::try_async_def` and `Builder::try_portal` return this as an error \
         instead"
    )
}

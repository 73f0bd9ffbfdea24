//! [`PinnedCall`]: the task that runs one `spawn_pinned` or `spawn_pinned_portal` call on its pool
//! thread.
//!
//! ```text
//!   queued ──first poll──▶ running ──body returns / panics──▶ completed (Ok / Err(panic))
//!     │                      │
//!   abort                  abort: the coroutine is dropped here, unwinding its stack
//!     ▼                      ▼
//!   closure dropped      completed (Err(cancelled))
//! ```
//!
//! Whatever happens, the handle learns the end only after everything the call owned (the closure,
//! or the coroutine and the stack it unwinds) was dropped on this thread, so destructors have run
//! by the time an awaiter sees the outcome.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::builder::{self, Builder};
use crate::future::AsyncDef;
use crate::stack::{self, Stack};
use crate::tokio::join::{JoinError, Shared};

/// What a pinned call runs, made into a coroutine on its first poll, on the pool thread.
pub(crate) trait Start: 'static {
    type Output: 'static;

    /// The coroutine, on a stack already made (so that a failure to make one leaves the
    /// closure in the call, to be dropped by `PinnedCall::end`).
    fn start(self, builder: &Builder, stack: Stack) -> AsyncDef<Self::Output>;
}

/// Sync code, as `spawn_pinned` runs it: `async_def(f)`.
pub(crate) struct SyncBody<F>(pub(crate) F);

impl<F, R> Start for SyncBody<F>
where
    F: FnOnce() -> R + 'static,
    R: 'static,
{
    type Output = R;

    fn start(self, builder: &Builder, stack: Stack) -> AsyncDef<R> {
        AsyncDef::new(builder, stack, self.0)
    }
}

/// A future made on the pool thread, as `spawn_pinned_portal` runs it: in a portal.
pub(crate) struct PortalBody<F>(pub(crate) F);

impl<F, Fut> Start for PortalBody<F>
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    type Output = Fut::Output;

    fn start(self, builder: &Builder, stack: Stack) -> AsyncDef<Fut::Output> {
        let make = self.0;
        // The future is made inside the portal, so that a panic in `make` ends the call as a
        // panic of its body does.
        AsyncDef::portal(builder, stack, async move { make().await })
    }
}

/// One call: the closure until the first poll, then the coroutine running it.
pub(crate) struct PinnedCall<F, R> {
    stage: Stage<F, R>,
    builder: Builder,
    shared: Arc<Shared<R>>,
    /// The live-call count of the pool thread, decremented when the call ends.
    load: &'static AtomicUsize,
}

enum Stage<F, R> {
    Queued(F),
    Running(AsyncDef<R>),
    Ended,
}

impl<F, R> PinnedCall<F, R>
where
    F: Start<Output = R>,
{
    pub(crate) fn new(
        builder: Builder,
        f: F,
        shared: Arc<Shared<R>>,
        load: &'static AtomicUsize,
    ) -> Self {
        PinnedCall {
            stage: Stage::Queued(f),
            builder,
            shared,
            load,
        }
    }

    /// Starts the coroutine on the first poll, then resumes it.
    fn resume(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, JoinError>> {
        if let Stage::Queued(_) = self.stage {
            // The stack first, while the stage still owns the closure: if it cannot be made, the
            // call ends through `end`, which drops the closure (whose captures' destructors may
            // panic) and still completes the handle and the load count.
            let stack = match stack::allocate(self.builder.stack_size) {
                Ok(stack) => stack,
                Err(error) => return Poll::Ready(Err(stack_failure(error))),
            };
            let Stage::Queued(f) = core::mem::replace(&mut self.stage, Stage::Ended) else {
                unreachable!()
            };
            self.stage = Stage::Running(f.start(&self.builder, stack));
        }
        let Stage::Running(coroutine) = &mut self.stage else {
            unreachable!("a pinned call resumed after it ended")
        };
        match catch_unwind(AssertUnwindSafe(|| Pin::new(coroutine).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(JoinError::panic(payload))),
        }
    }
}

/// A stack that cannot be made fails the call as it fails [`Builder::async_def`]: with a panic,
/// so that the panic hook reports it on stderr as it would there (a `send` caller resumes the
/// payload without running the hook again), caught here to be the call's outcome.
#[cold]
fn stack_failure(error: io::Error) -> JoinError {
    // The error is dropped by the panic, not observed after it.
    let panicked = catch_unwind(AssertUnwindSafe(|| builder::stack_failure(error)));
    JoinError::panic(panicked.unwrap_err())
}

impl<F, R> PinnedCall<F, R> {
    /// Drops what the call still owns, then hands `output` to the handle.
    fn end(&mut self, mut output: Result<R, JoinError>) {
        let stage = core::mem::replace(&mut self.stage, Stage::Ended);
        // Dropping a suspended coroutine unwinds it, and a destructor on its stack (or one of the
        // closure's captures) may panic; that panic is then the call's outcome.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(stage))) {
            output = Err(JoinError::panic(payload));
        }
        self.load.fetch_sub(1, Ordering::Relaxed);
        self.shared.complete(output);
    }
}

// No field is ever pinned: the closure is moved out to start the coroutine, and the coroutine's
// stack is a mapping of its own that never moves, so `AsyncDef` is `Unpin`.
impl<F, R> Unpin for PinnedCall<F, R> {}

impl<F, R> Future for PinnedCall<F, R>
where
    F: Start<Output = R>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Stage::Ended = this.stage {
            return Poll::Ready(());
        }
        let output = if this.shared.abort_requested(cx.waker()) {
            Err(JoinError::cancelled())
        } else {
            match this.resume(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(output) => output,
            }
        };
        this.end(output);
        Poll::Ready(())
    }
}

impl<F, R> Drop for PinnedCall<F, R> {
    /// A call dropped before it ended (its pool thread's runtime went away) is cancelled, so its
    /// handle never waits forever.
    fn drop(&mut self) {
        if !matches!(self.stage, Stage::Ended) {
            self.end(Err(JoinError::cancelled()));
        }
    }
}

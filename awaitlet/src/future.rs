//! [`AsyncDef`], the future that owns a coroutine running sync code.
//!
//! Its state machine is corosensei's:
//!
//! ```text
//!   not started ──poll──▶ suspended ◀──poll (awaitlet! pending)──┐
//!        │                   │   └──────────────────────────────┘
//!        │                   ├──poll: body returns──▶ done (Ready, stack recycled)
//!        │                   ├──poll: body panics───▶ done (panic goes on to the poller)
//!      drop                drop
//!        ▼                   ▼
//!   captures dropped     stack unwound: every destructor on it runs once
//! ```
//!
//! A poll resumes the coroutine with the poller's `Context`; it runs until the body returns or an
//! `awaitlet!` meets a pending future, which suspends it, and the poll returns `Pending`.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::panic::{RefUnwindSafe, UnwindSafe};

use corosensei::{Coroutine, CoroutineResult};

use crate::Builder;
use corosensei::stack::Stack as _;

use crate::context::{self, AwaitletYielder, ContextPtr, Current, Frame, Restore, StackBounds};
use crate::overflow;
use crate::portal::{self, PortalCell, StableWaker};
use crate::stack::{self, Stack};

type AwaitletCoroutine<R> = Coroutine<ContextPtr, (), R, Stack>;

/// A future that runs sync code on its own stack, suspending wherever that code calls
/// [`awaitlet!`](crate::awaitlet!).
///
/// Made by [`async_def`](crate::async_def()), [`portal`](crate::portal()),
/// [`Builder`](crate::Builder) and [`#[async_def]`](macro@crate::async_def) fns. Awaiting it
/// returns what the sync code (or the portal's future) returns.
///
/// - **Not `Send`, not `Sync`.** The coroutine stack may hold `!Send` values (an `Rc`, a
///   `MutexGuard`, a `RefCell` borrow of a thread-local) across an `awaitlet!`, and compiled code
///   may have cached a thread-local's address on it; no type can check what a stack holds, so the
///   stack never moves to another thread. Run it on a current-thread runtime, in a `LocalSet`, or
///   with `futures::executor`; where a `Send` future is needed, `#[async_def(send)]` and
///   `awaitlet::tokio::spawn_pinned` (feature `tokio`) run the coroutine on a pool thread and hand
///   back a `Send` handle. rustc's error names the marker that makes it so,
///   `CoroutineStackStaysOnItsThread`:
///
///   ```compile_fail
///   fn require_send<T: Send>(_: T) {}
///   require_send(awaitlet::async_def(|| 1));
///   ```
///
///   ```compile_fail
///   fn require_sync<T: Sync>(_: T) {}
///   require_sync(awaitlet::async_def(|| 1));
///   ```
/// - **`Unpin`.** The coroutine's stack is a separate mapping that never moves, so the future
///   itself can be moved freely between polls; futures pinned *on* that stack stay put.
/// - **Cancellation.** Dropping it while suspended unwinds the coroutine stack before `drop`
///   returns: every destructor on it runs exactly once, as if the pending `awaitlet!` had
///   panicked: destructors see `std::thread::panicking()`, and a `std::sync::Mutex` guard held
///   there is poisoned (an `awaitlet::sync` guard is not). Code that runs then cannot suspend
///   again (`awaitlet!` panics; `try_awaitlet` returns `Err`). If the sync code catches the
///   unwinding with `catch_unwind`, the next `awaitlet!` it reaches goes on unwinding rather than
///   awaiting. Built with `panic = "abort"`, nothing can unwind: a suspended coroutine is leaked
///   instead (its stack stays mapped, its destructors never run).
/// - **Panics.** A panic the sync code does not catch comes out of `poll`, payload intact; the
///   future is then finished. Polling a finished future panics.
/// - **Leaking** (`mem::forget`) is sound: the stack is never freed or reused, so whatever is
///   pinned or borrowed on it stays valid.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AsyncDef<R> {
    /// `None` once the body has returned and the stack went back to [`stack::recycle`].
    coroutine: Option<AwaitletCoroutine<R>>,
    /// Where the stack is, and the `stack_size` it was made for: the size sends it back to the
    /// right pool, and the bounds name it in an overflow report while a cancellation unwinds it.
    stack: StackBounds,
    /// Whether leaking a suspended coroutine is sound, which is when its captures are `'static`.
    /// Only read under `panic = "abort"`, where dropping must leak or abort.
    #[cfg_attr(not(panic = "abort"), allow(dead_code))]
    may_leak: bool,
    /// A portal's waker cell, told the poller's waker at every poll; `None` for an `async_def`.
    portal: Option<PortalCell>,
    /// The stack may hold `!Send` and `!Sync` values: see the type docs.
    _stays: PhantomData<dyn CoroutineStackStaysOnItsThread>,
}

/// Makes [`AsyncDef`] `!Send` and `!Sync`, as a trait object without those auto traits: rustc's
/// error when an `AsyncDef` is used where `Send` is needed then names it, "the trait `Send` is not
/// implemented for `(dyn CoroutineStackStaysOnItsThread + 'static)`", where a raw-pointer marker
/// would only say `*mut ()`. The stack may hold `!Send` values, so it never moves. The
/// supertraits keep `AsyncDef` `Unpin` and unwind-safe, as its other fields make it.
trait CoroutineStackStaysOnItsThread: Unpin + UnwindSafe + RefUnwindSafe {}

impl<R> AsyncDef<R> {
    /// A future that runs `body` on `stack`; the body's captures are `'static`.
    pub(crate) fn new<F>(builder: &Builder, stack: Stack, body: F) -> Self
    where
        F: FnOnce() -> R + 'static,
        R: 'static,
    {
        let bounds = bounds(builder, &stack);
        let entry = entry(move |_| body(), builder, bounds, None);
        Self::owning(Coroutine::with_stack(stack, entry), bounds, true)
    }

    /// A portal: a future that polls `future` on `stack` (see `portal.rs`).
    #[inline]
    pub(crate) fn portal<F>(builder: &Builder, stack: Stack, future: F) -> Self
    where
        F: Future<Output = R> + 'static,
        R: 'static,
    {
        // The cell behind the portal's stable waker (on the coroutine stack, in the frame), which
        // this future tells who polls it: the one allocation of a portal, and none when this
        // thread's pool has a cell from a finished portal.
        let (cell, waker) = PortalCell::new();
        let bounds = bounds(builder, &stack);
        let entry = entry(
            move |frame| portal::run(frame, future),
            builder,
            bounds,
            Some(waker),
        );
        let mut this = Self::owning(Coroutine::with_stack(stack, entry), bounds, true);
        this.portal = Some(cell);
        this
    }

    /// A future that runs a borrowing `body` on `stack`.
    ///
    /// # Safety
    ///
    /// ## Caller
    ///
    /// The returned future must be dropped or run to completion before anything `body` borrows
    /// goes out of scope, and must never be leaked after its first poll: see
    /// [`async_def_unchecked`](crate::async_def_unchecked).
    pub(crate) unsafe fn new_unchecked<F>(builder: &Builder, stack: Stack, body: F) -> Self
    where
        F: FnOnce() -> R,
    {
        let bounds = bounds(builder, &stack);
        let entry = entry(move |_| body(), builder, bounds, None);
        // corosensei needs `'static` only because a coroutine may outlive what its closure borrows.
        // SAFETY: our caller promises it does not: the future, which owns the coroutine, finishes
        // or is dropped (unwinding the stack) before the borrows end, and is never leaked.
        let coroutine = unsafe { Coroutine::with_stack_unchecked(stack, entry) };
        Self::owning(coroutine, bounds, false)
    }

    fn owning(coroutine: AwaitletCoroutine<R>, stack: StackBounds, may_leak: bool) -> Self {
        AsyncDef {
            coroutine: Some(coroutine),
            stack,
            may_leak,
            portal: None,
            _stays: PhantomData,
        }
    }

    /// Hands the stack of a finished coroutine back for reuse. (A portal's waker cell goes back
    /// when the future is dropped.)
    fn finish(&mut self) {
        if let Some(coroutine) = self.coroutine.take() {
            stack::recycle(self.stack.size, coroutine.into_stack());
        }
    }
}

/// Where `stack` is, made for the builder's `stack_size`.
fn bounds(builder: &Builder, stack: &Stack) -> StackBounds {
    StackBounds {
        limit: stack.limit().get(),
        base: stack.base().get(),
        size: builder.stack_size,
    }
}

/// What runs at the base of the coroutine stack: set up the frame `awaitlet!` finds, run the body.
///
/// `portal` is a portal's stable waker, which the frame carries (see `portal.rs`).
fn entry<F, R>(
    body: F,
    builder: &Builder,
    bounds: StackBounds,
    portal: Option<StableWaker>,
) -> impl FnOnce(&AwaitletYielder, ContextPtr) -> R + use<F, R>
where
    F: FnOnce(&Frame) -> R,
{
    let assert_await_occurs = builder.assert_await_occurs;
    move |yielder, cx| {
        let frame = Frame::new(yielder, cx, bounds, portal, assert_await_occurs);
        frame.start();
        let output = run_body(|| body(&frame));
        if assert_await_occurs && !frame.awaited() {
            panic!(
                "`async_def` with `assert_await_occurs` returned without calling `awaitlet!`: the \
                 sync code never reached an await point; check that its I/O goes through \
                 `awaitlet!`, or drop `assert_await_occurs`"
            );
        }
        output
    }
}

/// Runs the sync code. In debug builds, a panic from tokio refusing to block on a runtime inside
/// the coroutine (`Handle::block_on`, tokio-util's `SyncIoBridge`) gets a hint on stderr saying
/// what to use instead, after the panic's own message; the panic then goes on as it was. Release
/// builds run the body as it is.
#[inline(always)]
fn run_body<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(debug_assertions)]
    {
        use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
        // The body is not observed again after a panic: it unwinds on out of the coroutine.
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(output) => output,
            Err(payload) => {
                if is_nested_block_on(&*payload) {
                    eprintln!("{NESTED_BLOCK_ON_HINT}");
                }
                resume_unwind(payload)
            }
        }
    }
    #[cfg(not(debug_assertions))]
    body()
}

/// What tokio panics with when a thread that drives a runtime calls `block_on`.
#[cfg(debug_assertions)]
const NESTED_BLOCK_ON: &str = "Cannot start a runtime from within a runtime";

#[cfg(debug_assertions)]
const NESTED_BLOCK_ON_HINT: &str = "awaitlet: hint: the sync code of an `async_def` blocked on a \
    tokio runtime (`Handle::block_on`, or tokio-util's `SyncIoBridge`, which calls it), but it \
    runs inside a task's poll, on a thread already driving the runtime; await the future with \
    `awaitlet!(future)` instead, and read and write through `awaitlet::tokio::SyncIo`";

/// Whether a panic payload is tokio's refusal of a nested `block_on`.
#[cfg(debug_assertions)]
fn is_nested_block_on(payload: &(dyn core::any::Any + Send)) -> bool {
    panic_text(payload).is_some_and(|text| text.contains(NESTED_BLOCK_ON))
}

/// The text of a panic payload, when it is a string (as `panic!` makes it).
#[cfg(any(debug_assertions, feature = "tokio"))]
pub(crate) fn panic_text(payload: &(dyn core::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl<R> Future for AsyncDef<R> {
    type Output = R;

    /// Resumes the coroutine until it returns or suspends on a pending `awaitlet!`.
    ///
    /// # Panics
    ///
    /// With the sync code's own panic, payload intact, when it does not catch one; and when
    /// polled again after it returned `Ready` or panicked.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        let coroutine = match &mut this.coroutine {
            Some(coroutine) if !coroutine.done() => coroutine,
            _ => panic!("`AsyncDef` polled after completion"),
        };
        let cx_ptr = context::erase(cx);
        // A portal's wakes go to this poll's waker until the poll ends.
        let portal = this.portal.as_ref().map(|cell| cell.polling(cx_ptr));
        let result = {
            // Whatever this thread's slot held (an outer coroutine's `Running`, or `Outside`)
            // comes back when the coroutine yields, returns or panics.
            let _restore = Restore::save();
            coroutine.resume(cx_ptr)
        };
        match result {
            CoroutineResult::Yield(()) => {
                if let Some(portal) = portal {
                    portal.pending(cx.waker());
                }
                Poll::Pending
            }
            CoroutineResult::Return(output) => {
                drop(portal);
                this.finish();
                Poll::Ready(output)
            }
        }
    }
}

impl<R> Drop for AsyncDef<R> {
    #[inline]
    fn drop(&mut self) {
        // A future that returned `Ready` has nothing left to drop: keep that path inlined.
        if let Some(coroutine) = self.coroutine.take() {
            self.drop_coroutine(coroutine);
        }
    }
}

impl<R> AsyncDef<R> {
    /// Drops a coroutine that has not returned: never started, suspended, or finished by a panic.
    /// Out of line, so that dropping a finished future, the common case, is a test inlined into
    /// the caller instead of a call into a large frame.
    #[inline(never)]
    fn drop_coroutine(&self, mut coroutine: AwaitletCoroutine<R>) {
        if !coroutine.done() {
            #[cfg(panic = "abort")]
            if coroutine.started() {
                return leak_suspended(coroutine, self.may_leak);
            }
            // Code that runs now (destructors of captures or of the suspended stack) must not
            // suspend: it would resume nowhere.
            let _restore = Restore::replace(Current::Cancelling {
                frame: None,
                in_unwind: std::thread::panicking(),
            });
            // Until the unwinding leaves the suspended `awaitlet!`, the slot names no frame: an
            // overflow in the unwinder itself finds the stack here.
            let _unwinding = overflow::Unwinding::enter(self.stack);
            coroutine.force_unwind();
        }
        stack::recycle(self.stack.size, coroutine.into_stack());
    }
}

/// `panic = "abort"` cannot unwind a suspended stack. Leaking it is sound when the coroutine owns
/// everything it uses; with borrowed captures (`async_def_unchecked`) the borrows would end while
/// the stack still refers to them, so the only sound way out is to abort.
#[cfg(panic = "abort")]
fn leak_suspended<R>(coroutine: AwaitletCoroutine<R>, may_leak: bool) {
    if may_leak {
        core::mem::forget(coroutine);
    } else {
        eprintln!(
            "awaitlet: a suspended `async_def_unchecked` future was dropped in a `panic = \"abort\"` \
             build, where its stack cannot be unwound; aborting"
        );
        std::process::abort();
    }
}

impl<R> fmt::Debug for AsyncDef<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.coroutine {
            None => "done",
            Some(coroutine) if coroutine.done() => "done",
            Some(coroutine) if coroutine.started() => "suspended",
            Some(_) => "not started",
        };
        f.debug_struct("AsyncDef")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

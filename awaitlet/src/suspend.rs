//! The runtime side of `awaitlet!`: poll the future with the coroutine's task context, and suspend
//! the coroutine while it is pending.

use core::fmt;
use core::future::{Future, IntoFuture};
use core::pin::pin;
use core::ptr::NonNull;
use core::task::Poll;

use crate::context::{self, Current, Frame, Suspendable};

/// Awaits `future` from sync code running inside an [`async_def`](crate::async_def()).
///
/// This is the function behind [`awaitlet!`](crate::awaitlet!); the macro is usually nicer to
/// read. The future is pinned on the coroutine stack and polled with the waker of the task that
/// polls the enclosing [`AsyncDef`](crate::AsyncDef); while it is pending the coroutine is
/// suspended and that task sees `Poll::Pending`. Nothing is boxed or allocated.
///
/// # Panics
///
/// When `awaitlet!` cannot suspend here (see [`try_awaitlet`] for a version that hands the future
/// back instead), with a message that says it was called outside of an `async_def` and why:
///
/// - no `async_def` coroutine is running on this thread;
/// - it is called from inside `Future::poll` of a future that `awaitlet!` is awaiting in an
///   `async_def`: its coroutine is never suspended in the middle of a poll (a [`portal`](crate::portal())'s
///   is, so there it suspends);
/// - the thread is unwinding (`std::thread::panicking()`), or the coroutine is being unwound
///   because its `AsyncDef` was dropped: suspending mid-unwind would corrupt the panic state.
///
/// A panic inside the awaited future's `poll` unwinds out of this call into the sync code, where
/// `std::panic::catch_unwind` can stop it.
#[track_caller]
// Inlined into the caller, down to the stack switch: a coroutine resumed inside `awaitlet!`
// then goes on in its caller's frame instead of first returning from a frame it entered before
// it suspended, a return the CPU's return-address predictor gets wrong (its entries belong to
// the poller's stack). In a loop of pending-once awaits that took 0.28 s to 0.22 s for 5 million
// (native async: 0.16 s), for 13 fewer instructions per await.
#[inline(always)]
pub fn awaitlet<F: IntoFuture>(future: F) -> F::Output {
    match here() {
        Here::Suspendable(place) => await_on(place, future.into_future()),
        Here::CaughtCancellation { frame, .. } => continue_cancellation(frame),
        Here::Refused(refusal) => refusal.panic(),
    }
}

/// Awaits `future` like [`awaitlet()`], or hands it back un-polled where that would panic.
///
/// Use it in code that may run both inside and outside an `async_def`, and in destructors, which
/// may run while the coroutine unwinds.
///
/// ```
/// let fut = std::future::ready(5);
/// // Not inside an async_def: the future comes back, never polled.
/// let err = awaitlet::try_awaitlet(fut).unwrap_err();
/// assert_eq!(futures::executor::block_on(err.into_inner()), 5);
/// ```
#[inline(always)]
pub fn try_awaitlet<F: IntoFuture>(future: F) -> Result<F::Output, NotInAsyncDef<F>> {
    match here() {
        Here::Suspendable(place) => Ok(await_on(place, future.into_future())),
        Here::CaughtCancellation {
            frame,
            in_unwind: false,
        } => continue_cancellation(frame),
        Here::CaughtCancellation { .. } => Err(NotInAsyncDef {
            future,
            refusal: Refusal::Cancelling,
        }),
        Here::Refused(refusal) => Err(NotInAsyncDef { future, refusal }),
    }
}

/// Returns `true` when an [`awaitlet!`](crate::awaitlet!) called here would suspend, `false` where
/// it would panic.
///
/// ```
/// assert!(!awaitlet::in_async_def());
/// let inside = futures::executor::block_on(awaitlet::async_def(awaitlet::in_async_def));
/// assert!(inside);
/// ```
pub fn in_async_def() -> bool {
    matches!(here(), Here::Suspendable(_))
}

/// What an `awaitlet!` at this point would do.
enum Here {
    /// Poll the future, suspending this frame's coroutine while it is pending.
    Suspendable(Suspendable),
    /// The coroutine is being cancelled, but its body caught the unwinding (`catch_unwind`) and
    /// went on to await again: see [`continue_cancellation`].
    ///
    /// With `in_unwind`, the cancellation came from a drop during another unwinding, and the
    /// thread's `panicking()` cannot tell this from a destructor run by the cancellation itself.
    /// `awaitlet!` then goes on with the cancellation, the one thing that works if the body did
    /// catch it (a destructor ends the process either way, panicking while unwinding);
    /// `try_awaitlet` refuses, the one thing that works in a destructor.
    CaughtCancellation {
        frame: NonNull<Frame>,
        in_unwind: bool,
    },
    /// Panic, or hand the future back.
    Refused(Refusal),
}

#[inline(always)]
fn here() -> Here {
    // The fast path: the body of a coroutine is running, not inside an `async_def`'s poll, and
    // the thread is not unwinding. The unwinding check is made in each arm, after the frame's
    // kind is known, so the compiler need not keep the kind in a register across it.
    match context::suspendable() {
        Some(Suspendable::AsyncDef(frame)) if !std::thread::panicking() => {
            Here::Suspendable(Suspendable::AsyncDef(frame))
        }
        Some(Suspendable::Portal(frame)) if !std::thread::panicking() => {
            Here::Suspendable(Suspendable::Portal(frame))
        }
        _ => here_slow(),
    }
}

#[cold]
fn here_slow() -> Here {
    let unwinding = std::thread::panicking();
    match context::current() {
        // SAFETY: the slot names it as `Running`, read on this thread just now.
        Current::Running(frame) => match unsafe { context::suspendable_frame(frame) } {
            None => Here::Refused(Refusal::InPoll),
            Some(_) if unwinding => Here::Refused(Refusal::Panicking),
            Some(place) => Here::Suspendable(place),
        },
        Current::Outside => Here::Refused(Refusal::Outside),
        Current::Cancelling {
            frame: Some(frame),
            in_unwind,
        } if !unwinding || in_unwind => Here::CaughtCancellation { frame, in_unwind },
        Current::Cancelling { .. } => Here::Refused(Refusal::Cancelling),
    }
}

/// Goes on with the cancellation of a coroutine whose body caught it.
///
/// Dropping a suspended `AsyncDef` unwinds its stack with corosensei's forced unwind, a panic
/// payload that `catch_unwind` in the body can catch. Were `awaitlet!` to refuse afterwards, the
/// drop would end in a panic (or an abort, mid-unwind). Instead it suspends without polling
/// anything: corosensei's unwinding loop sees the coroutine yield and unwinds it again from here.
#[cold]
fn continue_cancellation(frame: NonNull<Frame>) -> ! {
    // SAFETY: the slot names a frame being cancelled only while its coroutine unwinds on this
    // thread (set as the unwinding leaves `Frame::suspend`, cleared by the frame's destructor),
    // and this is code on that coroutine, so the frame is alive.
    unsafe { frame.as_ref() }.suspend();
    unreachable!("a cancelled awaitlet coroutine was resumed by a poll")
}

/// Polls `future` to completion on the coroutine of `place`, suspending while it is pending.
#[inline(always)]
fn await_on<Fut: Future>(place: Suspendable, future: Fut) -> Fut::Output {
    // Pinned here, before the two paths part: moving a large future into either of them would
    // cost a copy of it (a `memcpy` call per await for tokio's `mpsc::Receiver::recv`).
    let mut future = pin!(future);
    let frame_ptr = match place {
        Suspendable::AsyncDef(frame) => frame,
        Suspendable::Portal(frame) => {
            // SAFETY: as below.
            let frame = unsafe { frame.as_ref() };
            frame.note_await();
            let waker = frame
                .portal_waker()
                .expect("a portal's frame carries the portal's waker");
            // A portal polls with a context of its own and may suspend mid-poll (`portal.rs`).
            return crate::portal::await_in_portal(frame, waker, future);
        }
    };
    // The slot names a frame only while that frame's coroutine runs on this thread (`context.rs`
    // says who writes it when), and this is that coroutine's code.
    // SAFETY: so the frame, a local at the base of its stack, is alive for this whole call.
    let frame = unsafe { frame_ptr.as_ref() };
    loop {
        let poll = {
            // Nested `awaitlet!`s inside `poll` refuse to touch the frame while it is marked;
            // the mark goes when the poll returns or panics into the body.
            let _polling = frame.start_poll();
            // SAFETY: we run on the frame's coroutine and do not suspend before the reference
            // dies at the end of this statement; nested `awaitlet!`s inside `poll` refuse to
            // touch the frame because it is marked polling.
            future.as_mut().poll(unsafe { frame.context() })
        };
        match poll {
            Poll::Ready(output) => return output,
            Poll::Pending => frame.wait(),
        }
    }
}

/// Why `awaitlet!` cannot suspend at some point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Outside,
    InPoll,
    Cancelling,
    Panicking,
}

impl Refusal {
    #[cold]
    #[track_caller]
    fn panic(self) -> ! {
        panic!("{self}")
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`awaitlet!` called outside of an async_def: ")?;
        f.write_str(match self {
            Refusal::Outside => {
                "no awaitlet coroutine is running on this thread; call it only from sync code run \
                 by an `#[async_def]` fn or `awaitlet::async_def(..)`, or use \
                 `awaitlet::try_awaitlet` to fall back"
            }
            Refusal::InPoll => {
                "it was called while `awaitlet!` was polling a future (an `async` block handed to \
                 `awaitlet!`, or a hand-written `Future::poll`), and a coroutine is never \
                 suspended in the middle of a poll; in an `async` block, `.await` there instead, \
                 or move the sync call out of the block; in a hand-written `poll`, return \
                 `Poll::Pending`"
            }
            Refusal::Cancelling => {
                "its coroutine is being unwound because the `AsyncDef` was dropped, and cannot \
                 suspend again; use `awaitlet::try_awaitlet` in code that runs on drop"
            }
            Refusal::Panicking => {
                "the thread is unwinding from a panic, and suspending mid-unwind would corrupt \
                 its panic state; use `awaitlet::try_awaitlet` in code that runs on drop"
            }
        })
    }
}

/// The error of [`try_awaitlet`]: `awaitlet!` cannot suspend here. It holds the future, un-polled.
///
/// Its `Display` says why, in the words `awaitlet!` would panic with.
pub struct NotInAsyncDef<F> {
    future: F,
    refusal: Refusal,
}

impl<F> NotInAsyncDef<F> {
    /// Returns the future that was not awaited. It was never polled.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F> fmt::Debug for NotInAsyncDef<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotInAsyncDef")
            .field("reason", &self.refusal)
            .finish_non_exhaustive()
    }
}

impl<F> fmt::Display for NotInAsyncDef<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.refusal, f)
    }
}

impl<F> std::error::Error for NotInAsyncDef<F> {}

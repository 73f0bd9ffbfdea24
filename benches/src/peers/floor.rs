//! The floor: the least any corosensei-based bridge can cost. **A measuring stick, unsound to use.**
//!
//! A `Coroutine<*mut Context, (), R>` whose body is the sync code. Each resumption hands the
//! coroutine the poller's `Context` as its input; the coroutine keeps that pointer and its
//! `Yielder` in one thread-local, from which [`floor_await`] polls and suspends on `Pending`. No
//! check of any kind: no refusal outside a coroutine or while unwinding, no care for panics or
//! cancellation, no nesting, and stale pointers are left in the thread-local once a coroutine is
//! done. Each unsafe block holds only under the conditions of the benchmarks, which its `SAFETY`
//! comment names.
//!
//! The stack is corosensei's `DefaultStack` of awaitlet's default size (1 MiB), one kept per
//! thread and reused between round trips (awaitlet uses slab stacks of its own: `DefaultStack`
//! is two kernel mappings a stack, which the memory table shows).

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

use super::{Bridge, await_with};

/// The poller's `Context`, its lifetime erased: the coroutine's input on every resumption.
type Cx = *mut Context<'static>;

thread_local! {
    /// The running floor coroutine's yielder and the `Context` it was last resumed with.
    static CURRENT: Cell<(*const Yielder<Cx, ()>, Cx)> =
        const { Cell::new((ptr::null(), ptr::null_mut())) };
    /// A finished coroutine's stack, for the next one.
    static SPARE_STACK: Cell<Option<DefaultStack>> = const { Cell::new(None) };
}

/// The floor as a [`Bridge`].
#[derive(Debug)]
pub struct Floor;

impl Bridge for Floor {
    fn run<R: 'static>(body: impl FnOnce() -> R + 'static) -> impl Future<Output = R> + 'static {
        try_floor(body).expect("mapping a stack for the floor coroutine")
    }

    #[inline(always)]
    fn wait<F: Future>(future: F) -> F::Output {
        floor_await(future)
    }
}

/// The future of a floor coroutine.
pub struct FloorFuture<R> {
    coroutine: Option<Coroutine<Cx, (), R, DefaultStack>>,
}

impl<R> std::fmt::Debug for FloorFuture<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorFuture").finish_non_exhaustive()
    }
}

/// `body` on a floor coroutine, on this thread's spare stack or a new one; an error when no
/// stack could be mapped.
pub fn try_floor<R: 'static>(body: impl FnOnce() -> R + 'static) -> io::Result<FloorFuture<R>> {
    let stack = match SPARE_STACK.take() {
        Some(stack) => stack,
        None => DefaultStack::new(awaitlet::DEFAULT_STACK_SIZE)?,
    };
    let coroutine = Coroutine::with_stack(stack, move |yielder: &Yielder<Cx, ()>, cx| {
        CURRENT.set((yielder, cx));
        body()
    });
    Ok(FloorFuture {
        coroutine: Some(coroutine),
    })
}

impl<R> Future for FloorFuture<R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let coroutine = self.coroutine.as_mut().expect("polled after completion");
        let cx: Cx = ptr::from_mut(cx).cast();
        match coroutine.resume(cx) {
            CoroutineResult::Yield(()) => Poll::Pending,
            CoroutineResult::Return(output) => {
                let done = self.coroutine.take().expect("the coroutine just returned");
                SPARE_STACK.set(Some(done.into_stack()));
                Poll::Ready(output)
            }
        }
    }
}

/// Awaits `future` from the body of a floor coroutine.
#[inline(always)]
pub fn floor_await<F: Future>(future: F) -> F::Output {
    let (yielder, cx) = CURRENT.get();
    let suspend = || {
        // SAFETY: benchmark-only: `yielder` is this coroutine's own (see below), which lives on
        // its stack for as long as the body runs.
        let cx = unsafe { &*yielder }.suspend(());
        // Other floor coroutines ran in between and set their own.
        CURRENT.set((yielder, cx));
        cx
    };
    // Benchmark-only: this runs in the body of the floor coroutine that set `CURRENT` when it
    // was last resumed (the workloads call it nowhere else and never nest floor coroutines).
    // SAFETY: so `cx` is the `Context` of the poll running it, and so is each `Context` the
    // coroutine is resumed with.
    unsafe { await_with(future, cx, suspend) }
}

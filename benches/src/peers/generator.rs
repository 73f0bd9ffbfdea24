//! `generator` 0.8 as a [`Bridge`], with the small bridge it needs to await a future.
//!
//! The crate has generators, not futures: [`GeneratorFuture`] owns a `LocalGenerator` whose body
//! is the sync code, and resumes it with the poller's `Context` as the value sent in
//! (`raw_send`). The body keeps its `Scope` and that `Context` in a thread-local, from which
//! [`generator_await`] polls and yields on `Pending`; the result comes back through a shared
//! slot, since a generator's yields and its return share one type. Like the floor, it skips
//! every check (a benchmark's bridge, not a library); each unsafe block names the condition of
//! the benchmarks under which it holds.
//!
//! Stacks are the crate's default, 32 KiB, each mapped (with a guard page) when the generator is
//! created and unmapped when it is dropped.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::task::{Context, Poll};

use generator::{Gn, LocalGenerator, Scope};

use super::{Bridge, await_with};

/// The poller's `Context`, its lifetime erased: what each resumption sends in.
type Cx = *mut Context<'static>;
/// The body's scope, its lifetimes erased.
type ScopePtr = *mut Scope<'static, 'static, Cx, ()>;

thread_local! {
    /// The running generator's scope and the `Context` it was last resumed with.
    static CURRENT: Cell<(ScopePtr, Cx)> = const { Cell::new((ptr::null_mut(), ptr::null_mut())) };
}

/// `generator` as a [`Bridge`].
#[derive(Debug)]
pub struct Generator;

impl Bridge for Generator {
    fn run<R: 'static>(body: impl FnOnce() -> R + 'static) -> impl Future<Output = R> + 'static {
        let output = Rc::new(Cell::new(None));
        let slot = Rc::clone(&output);
        let generator = Gn::<Cx>::new_scoped_local(move |mut scope: Scope<'_, '_, Cx, ()>| {
            let cx = scope.get_yield().expect("resumed with a `Context`");
            CURRENT.set((ptr::from_mut(&mut scope).cast(), cx));
            slot.set(Some(body()));
        });
        GeneratorFuture { generator, output }
    }

    #[inline(always)]
    fn wait<F: Future>(future: F) -> F::Output {
        generator_await(future)
    }
}

/// The future of a generator whose body is sync code.
pub struct GeneratorFuture<R> {
    generator: LocalGenerator<'static, Cx, ()>,
    output: Rc<Cell<Option<R>>>,
}

impl<R> std::fmt::Debug for GeneratorFuture<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratorFuture").finish_non_exhaustive()
    }
}

impl<R> Future for GeneratorFuture<R> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let cx: Cx = ptr::from_mut(cx).cast();
        self.generator.raw_send(Some(cx));
        match self.output.take() {
            Some(output) => Poll::Ready(output),
            None => Poll::Pending,
        }
    }
}

/// Awaits `future` from the body of a [`GeneratorFuture`].
#[inline(always)]
pub fn generator_await<F: Future>(future: F) -> F::Output {
    let (scope, cx) = CURRENT.get();
    let suspend = || {
        // SAFETY: benchmark-only: `scope` is the running body's own (see below), on its stack for
        // as long as the body runs, and nothing else uses it meanwhile.
        let scope_ref = unsafe { &mut *scope };
        scope_ref.yield_with(());
        let cx = scope_ref.get_yield().expect("resumed with a `Context`");
        // Other generators ran in between and set their own.
        CURRENT.set((scope, cx));
        cx
    };
    // SAFETY: benchmark-only: this runs in the body of the generator that set `CURRENT` when it
    // was last resumed (the workloads call it nowhere else and never nest generators), so `cx` is
    // the `Context` of the poll running it, and so is each `Context` it is resumed with.
    unsafe { await_with(future, cx, suspend) }
}

//! The hot paths allocate nothing: no heap allocation per `awaitlet!`, and none per `async_def`
//! round trip once this thread's stack pool is warm.
//!
//! A counting global allocator sees every heap allocation of this test binary; each test counts
//! the allocations of its own thread only, so tests running in parallel do not disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use awaitlet::{Builder, awaitlet};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the arguments it was given, so `System`'s
// guarantees hold; the only addition is a thread-local counter, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Pending once (waking itself at once), then ready: every await through it suspends and resumes.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(1)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls `future` to completion on this thread with a no-op waker (the futures above wake
/// themselves, so polling again at once is always right).
fn run<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn awaitlet_allocates_nothing_per_await() {
    let counted = run(awaitlet::async_def(|| {
        // Warm up whatever the first await touches, then count a thousand of each kind.
        awaitlet!(PendingOnce(false));
        allocations_during(|| {
            for _ in 0..1_000 {
                assert_eq!(awaitlet!(std::future::ready(1)), 1);
                assert_eq!(awaitlet!(PendingOnce(false)), 1);
            }
        })
    }));
    assert_eq!(counted, 0, "heap allocations during 2,000 awaits");
}

#[test]
fn a_round_trip_with_a_warm_pool_allocates_nothing() {
    let builder = Builder::new().stack_size(64 * 1024);
    // The first round trips map stacks and fill the pool (one allocation for the pool itself).
    run(builder.async_def(|| awaitlet!(PendingOnce(false))));
    let counted = allocations_during(|| {
        for _ in 0..1_000 {
            assert_eq!(run(builder.async_def(|| awaitlet!(PendingOnce(false)))), 1);
        }
    });
    assert_eq!(
        counted, 0,
        "heap allocations during 1,000 async_def round trips"
    );
}

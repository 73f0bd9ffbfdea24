//! The hot paths allocate nothing: no heap allocation per `awaitlet!`, and none per `async_def`
//! round trip once this thread's stack pool is warm, none per portal once a finished portal has
//! left its waker cell to this thread's pool (at most one, the cell, otherwise) and none per poll
//! of it, and none per call of the adapters (`SyncIo`
//! over tokio's and the `futures-io` traits, `awaitlet::iter`).
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

/// Awaits a pending-once future from sync code: called from a portal's async code.
fn sync_await() -> u32 {
    awaitlet!(PendingOnce(false))
}

#[test]
fn a_portal_allocates_nothing_once_a_finished_one_left_its_cell_nor_per_poll() {
    let builder = Builder::new().stack_size(64 * 1024);
    // Leaves its stack and its waker cell to this thread's pools.
    run(builder.portal(PendingOnce(false)));
    // A real waker, whose clones are counted: the portal must not clone it per poll either.
    let waker = std::sync::Arc::new(Wakes).into();
    let mut cx = Context::from_waker(&waker);
    let counted = allocations_during(|| {
        let mut portal = std::pin::pin!(builder.portal(async {
            let mut total = 0;
            for _ in 0..1_000 {
                total += PendingOnce(false).await; // native `.await`, pending once
                total += sync_await(); // `awaitlet!` in the middle of the portal's poll
            }
            total
        }));
        while portal.as_mut().poll(&mut cx).is_pending() {}
    });
    // The waker was allocated before the count began.
    assert_eq!(
        counted, 0,
        "heap allocations of a portal with 2,000 suspensions, its waker cell from the pool"
    );
}

/// A waker whose wakes do nothing but which is a real `Arc`, unlike `Waker::noop`.
struct Wakes;

impl std::task::Wake for Wakes {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// An endless source and sink of bytes that is pending (waking itself) on every other poll, over
/// both tokio's and the `futures-io` traits, so that every adapter call suspends once.
#[derive(Default)]
struct Alternating {
    pending: bool,
}

impl Alternating {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.pending = !self.pending;
        if self.pending {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl tokio::io::AsyncRead for Alternating {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        buf.put_slice(&[7; 64][..buf.remaining().min(64)]);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Alternating {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl futures::io::AsyncRead for Alternating {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        let len = buf.len().min(64);
        buf[..len].fill(7);
        Poll::Ready(Ok(len))
    }
}

impl futures::io::AsyncWrite for Alternating {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.get_mut().poll_ready(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[test]
fn tokio_sync_io_allocates_nothing_per_call() {
    use std::io::{BufRead, Read, Seek, Write};

    let counted = run(awaitlet::async_def(|| {
        let mut io = awaitlet::tokio::SyncIo::new(Alternating::default());
        // The buffers are made before counting: a `BufReader` allocates its buffer once.
        let mut buffered =
            awaitlet::tokio::SyncIo::new(tokio::io::BufReader::new(Alternating::default()));
        let mut cursor = awaitlet::tokio::SyncIo::new(std::io::Cursor::new(vec![0u8; 64]));
        let mut buf = [0; 64];
        assert_eq!(io.read(&mut buf).unwrap(), 64);
        allocations_during(|| {
            for _ in 0..1_000 {
                assert_eq!(io.read(&mut buf).unwrap(), 64);
                assert_eq!(io.write(&buf).unwrap(), 64);
                io.flush().unwrap();
                let filled = buffered.fill_buf().unwrap().len();
                buffered.consume(filled);
                cursor.seek(std::io::SeekFrom::Start(3)).unwrap();
            }
        })
    }));
    assert_eq!(counted, 0, "heap allocations during 5,000 calls");
}

#[test]
fn futures_io_sync_io_allocates_nothing_per_call() {
    use std::io::{BufRead, Read, Write};

    let counted = run(awaitlet::async_def(|| {
        let mut io = awaitlet::futures_io::SyncIo::new(Alternating::default());
        let mut buffered =
            awaitlet::futures_io::SyncIo::new(futures::io::BufReader::new(Alternating::default()));
        let mut buf = [0; 64];
        assert_eq!(io.read(&mut buf).unwrap(), 64);
        allocations_during(|| {
            for _ in 0..1_000 {
                assert_eq!(io.read(&mut buf).unwrap(), 64);
                assert_eq!(io.write(&buf).unwrap(), 64);
                io.flush().unwrap();
                let filled = buffered.fill_buf().unwrap().len();
                buffered.consume(filled);
            }
        })
    }));
    assert_eq!(counted, 0, "heap allocations during 4,000 calls");
}

#[test]
fn iter_allocates_nothing_per_item() {
    let mut pending = Alternating::default();
    let counted = run(awaitlet::async_def(move || {
        let stream =
            futures::stream::poll_fn(move |cx| pending.poll_ready(cx).map(|()| Some(1u32)));
        let mut items = awaitlet::iter(stream);
        items.next();
        allocations_during(|| {
            assert_eq!(items.by_ref().take(1_000).sum::<u32>(), 1_000);
        })
    }));
    assert_eq!(counted, 0, "heap allocations during 1,000 items");
}

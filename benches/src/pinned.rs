//! The `Send` bridge, `awaitlet::tokio`, on the multi-thread runtime, against the thread bridge
//! (`spawn_blocking` + `Handle::block_on`), the other way to run sync code that awaits from `Send`
//! code, and tokio-util's `LocalPoolHandle`, the other pool that runs `!Send` work on threads of
//! its own.
//!
//! Every loop runs in a `tokio::spawn` task on a worker thread, as a server's handler would.

use std::hint::black_box;
use std::time::{Duration, Instant};

use awaitlet::awaitlet;
use tokio::runtime::{Handle, Runtime};

/// A multi-thread runtime (one worker per core) with the time driver, for the timer workloads.
pub fn runtime_with_time() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_time()
        .build()
        .expect("building a multi-thread tokio runtime")
}

/// Runs `body` in a task on `runtime` and returns the time it reports.
fn in_a_task<F>(runtime: &Runtime, body: F) -> Duration
where
    F: Future<Output = Duration> + Send + 'static,
{
    runtime
        .block_on(async { tokio::spawn(body).await })
        .expect("the benchmark task panicked")
}

/// One call after another: each hands a tiny piece of sync work to another thread and awaits
/// its result. The thread-bridge baseline is [`crate::roundtrip::thread_bridge`], the same loop.
pub mod sequential {
    use super::*;

    /// `iters` times `spawn_pinned(|| awaitlet!(ready(1))).await`.
    pub fn spawn_pinned(runtime: &Runtime, iters: u64) -> Duration {
        in_a_task(runtime, async move {
            // One untimed call starts the pool and warms a stack on its first thread.
            let warm = awaitlet::tokio::spawn_pinned(|| awaitlet!(std::future::ready(1)));
            black_box(warm.await.expect("the pinned call panicked"));
            let start = Instant::now();
            for _ in 0..iters {
                let handle =
                    awaitlet::tokio::spawn_pinned(|| awaitlet!(std::future::ready(black_box(1))));
                black_box(handle.await.expect("the pinned call panicked"));
            }
            start.elapsed()
        })
    }

    /// `iters` times `pool.spawn_pinned(|| async { 1 }).await` on tokio-util's
    /// `LocalPoolHandle`, with as many threads as awaitlet's pool.
    pub fn local_pool_handle(runtime: &Runtime, iters: u64) -> Duration {
        let pool = tokio_util::task::LocalPoolHandle::new(awaitlet::tokio::pool_size());
        in_a_task(runtime, async move {
            black_box(
                pool.spawn_pinned(|| async { 1 })
                    .await
                    .expect("the local task panicked"),
            );
            let start = Instant::now();
            for _ in 0..iters {
                let task = pool.spawn_pinned(|| async { black_box(1) });
                black_box(task.await.expect("the local task panicked"));
            }
            start.elapsed()
        })
    }
}

/// Many calls at once, each waiting on a timer: what a server does while its handlers wait on
/// I/O. A pinned call holds a coroutine stack while it waits, a thread-bridge call holds one of
/// the blocking pool's threads (512 at most), so the bridge runs the calls in waves.
pub mod timers {
    use super::*;

    /// How many calls wait at once.
    pub const CALLS: usize = 10_000;
    /// How long each waits.
    pub const WAIT: Duration = Duration::from_millis(50);

    #[awaitlet::async_def(send)]
    fn nap(wait: Duration) -> u32 {
        awaitlet!(tokio::time::sleep(wait));
        1
    }

    /// `calls` tasks, each awaiting an `#[async_def(send)]` fn that sleeps `wait`; the time until
    /// the last is done.
    pub fn under_awaitlet(runtime: &Runtime, calls: usize, wait: Duration) -> Duration {
        in_a_task(runtime, async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..calls).map(|_| tokio::spawn(nap(wait))).collect();
            for task in tasks {
                black_box(task.await.expect("a pinned call panicked"));
            }
            start.elapsed()
        })
    }

    /// `calls` tasks, each awaiting `spawn_blocking(|| handle.block_on(sleep(wait)))`.
    pub fn thread_bridge(runtime: &Runtime, calls: usize, wait: Duration) -> Duration {
        in_a_task(runtime, async move {
            let handle = Handle::current();
            let start = Instant::now();
            let tasks: Vec<_> = (0..calls)
                .map(|_| {
                    let handle = handle.clone();
                    tokio::spawn(async move {
                        tokio::task::spawn_blocking(move || {
                            handle.block_on(tokio::time::sleep(wait));
                            1
                        })
                        .await
                    })
                })
                .collect();
            for task in tasks {
                black_box(
                    task.await
                        .expect("a task panicked")
                        .expect("a blocking call panicked"),
                );
            }
            start.elapsed()
        })
    }
}

//! The workloads of awaitlet's benchmark suite, shared by the criterion benches in `benches/` and by
//! the quick checks that `cargo test -p awaitlet-benches` runs on them.
//!
//! Every workload comes in the awaitlet variant and its baselines, and each variant returns the
//! time its measured loop took (for criterion's `iter_custom`), so that setup which is not part of
//! the figure (building a runtime, spawning the task that runs the loop) stays out of it:
//!
//! | module | awaitlet | baselines |
//! |---|---|---|
//! | [`ready`] | one `awaitlet!` of a ready future | native `.await` |
//! | [`pending_once`] | one `awaitlet!` of a future that is pending once | native `.await` |
//! | [`roundtrip`] | one `async_def` created, run and finished | `tokio::spawn`, the thread bridge |
//! | [`pingpong`] | a sync consumer of an mpsc ping-pong | native async, the thread bridge |
//! | [`echo`] | the echo synopsis at scale, sync middle layer | native async, a thread per client |
//! | [`pinned`] | `spawn_pinned` one after another; 10,000 `#[async_def(send)]` calls waiting on timers | the thread bridge, tokio-util's `LocalPoolHandle` |
//! | [`adapters`] | `SyncIo` reads, `awaitlet::iter` | `AsyncReadExt::read` and `SyncIoBridge`, `StreamExt::next` |
//! | [`bridge`] | `SyncIo` bulk reads and an 8-byte ping-pong, on a current-thread and a multi-thread runtime, wall and CPU time | native async, `SyncIoBridge` |
//! | [`portals`] | `awaitlet!` mid-poll in a portal; `.await` in a portal; a portal round trip | native `.await` in a task; the `async_def` round trip |
//! | `spans` (feature `tracing`) | `pending_once` with awaitlet's `tracing` feature: no subscriber, a `Registry`, a span entered across each await | native `.await` |
//! | [`duplex`] | an 8-byte ping-pong through `std::io` over a tokio duplex pipe, `SyncIo` | native `AsyncReadExt`/`AsyncWriteExt`, `SyncIoBridge`, the peers |
//! | [`peers`] | each workload above that awaits, generic over the bridge | the floor of the design, `stackful`, `generator` |
//! | [`tasks`] | `pending_once` in 16 tasks and `pingpong`, `#[async_def]` fns, `#[tokio::main]`'s runtime | `async fn` tasks |
//!
//! Runtimes that do no I/O are built without tokio's I/O driver: waking the `block_on` future
//! then flips an atomic instead of writing to an eventfd, a system call that would otherwise be
//! added to every variant alike and hide the differences being measured.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::LocalSet;

pub mod adapters;
pub mod bridge;
pub mod clock;
pub mod duplex;
pub mod echo;
pub mod peers;
pub mod pingpong;
pub mod pinned;
pub mod portals;
pub mod results;
#[cfg(feature = "tracing")]
pub mod spans;
pub mod tasks;

/// A current-thread tokio runtime without I/O or time drivers (see the crate docs).
pub fn current_thread_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("building a current-thread tokio runtime")
}

/// A multi-thread tokio runtime (one worker per core) without I/O or time drivers.
pub fn multi_thread_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("building a multi-thread tokio runtime")
}

/// Runs `task` as a `spawn_local` task on `local` on `runtime`, and returns what it returns: the
/// time of its measured loop, so that building the task and the `LocalSet`'s start stay out.
pub fn in_local_task<F>(runtime: &Runtime, local: &LocalSet, task: F) -> Duration
where
    F: Future<Output = Duration> + 'static,
{
    local.block_on(runtime, async move {
        let task = tokio::task::spawn_local(task);
        task.await.expect("the benchmark task panicked")
    })
}

/// Polls `future` once with a no-op waker; it must be ready by then.
///
/// For workloads that never suspend, so that no executor's bookkeeping is measured.
pub fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a workload that never suspends returned `Pending`"),
    }
}

/// One `awaitlet!` of an always-ready future, against native `.await` of the same future.
///
/// Both loops run inside one coroutine or one async block, so that only the await is measured,
/// not creating the coroutine.
pub mod ready {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use crate::peers::{Awaitlet, Bridge};
    use crate::poll_ready;

    /// `iters` times `awaitlet!(ready(x))`, from sync code on one coroutine.
    pub fn under_awaitlet(iters: u64) -> Duration {
        under::<Awaitlet>(iters)
    }

    /// `iters` times `B::wait(ready(x))`, from sync code on one coroutine of bridge `B`.
    pub fn under<B: Bridge>(iters: u64) -> Duration {
        poll_ready(B::run(move || {
            let start = Instant::now();
            for i in 0..iters {
                black_box(B::wait(std::future::ready(black_box(i))));
            }
            start.elapsed()
        }))
    }

    /// `iters` times `ready(x).await`, in one async block.
    pub fn native(iters: u64) -> Duration {
        poll_ready(async move {
            let start = Instant::now();
            for i in 0..iters {
                black_box(std::future::ready(black_box(i)).await);
            }
            start.elapsed()
        })
    }
}

/// One `awaitlet!` of a future that is `Pending` once (waking itself) and then `Ready`, against
/// native `.await`, in a task spawned on a tokio `LocalSet` on a current-thread runtime.
///
/// Each await therefore goes once through the scheduler: the task is queued by its own wake-up,
/// returns `Pending` to the `LocalSet`, and is polled again.
pub mod pending_once {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    use tokio::runtime::Runtime;
    use tokio::task::LocalSet;

    use crate::in_local_task;
    use crate::peers::{Awaitlet, Bridge};

    /// A future that returns `Pending` on its first poll, waking its task right away, and
    /// `Ready(())` on the second.
    #[derive(Debug, Default)]
    pub struct PendingOnce {
        polled: bool,
    }

    impl PendingOnce {
        /// A future that has not been polled yet.
        pub fn new() -> Self {
            PendingOnce { polled: false }
        }
    }

    impl Future for PendingOnce {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.polled {
                Poll::Ready(())
            } else {
                self.polled = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// `iters` times `awaitlet!(PendingOnce::new())`, from sync code on one coroutine that is a
    /// `spawn_local` task.
    pub fn under_awaitlet(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        under::<Awaitlet>(runtime, local, iters)
    }

    /// `iters` times `B::wait(PendingOnce::new())`, from sync code on one coroutine of bridge
    /// `B` that is a `spawn_local` task.
    pub fn under<B: Bridge>(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        let task = B::run(move || {
            let start = Instant::now();
            for _ in 0..iters {
                B::wait(PendingOnce::new());
            }
            start.elapsed()
        });
        in_local_task(runtime, local, task)
    }

    /// `iters` times `PendingOnce::new().await`, in one `spawn_local` task.
    pub fn native(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        in_local_task(runtime, local, async move {
            let start = Instant::now();
            for _ in 0..iters {
                PendingOnce::new().await;
            }
            start.elapsed()
        })
    }
}

/// One coroutine created, run and finished, against the other ways to run a piece of code as
/// its own unit of work and await its result: a tokio task, and the thread bridge; and, for the
/// peers, [`roundtrip::pending`]: one coroutine of each bridge created, suspended once and finished.
///
/// Every loop runs in a task (not directly in `block_on`), awaiting one unit of work at a time.
pub mod roundtrip {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use tokio::runtime::{Handle, Runtime};
    use tokio::task::LocalSet;

    use crate::in_local_task;
    use crate::peers::Bridge;
    use crate::pending_once::PendingOnce;

    /// `iters` times `async_def(|| black_box(1)).await` with a pooled stack, in a `spawn_local`
    /// task on a current-thread runtime.
    pub fn under_awaitlet(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        in_local_task(runtime, local, async move {
            // One untimed round trip puts a stack in this thread's pool.
            black_box(awaitlet::async_def(|| black_box(1)).await);
            let start = Instant::now();
            for _ in 0..iters {
                black_box(awaitlet::async_def(|| black_box(1)).await);
            }
            start.elapsed()
        })
    }

    /// `iters` times `B::run(|| { B::wait(PendingOnce::new()); black_box(1) }).await` in a
    /// `spawn_local` task: a coroutine of bridge `B` created, suspended once, resumed and
    /// finished, after one untimed round trip (which leaves a stack to reuse where `B` keeps one).
    pub fn pending<B: Bridge>(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        in_local_task(runtime, local, async move {
            let once = || {
                B::wait(PendingOnce::new());
                black_box(1)
            };
            assert_eq!(B::run(once).await, 1);
            let start = Instant::now();
            for _ in 0..iters {
                assert_eq!(B::run(once).await, 1);
            }
            start.elapsed()
        })
    }

    /// The native counterpart of [`pending`]: `iters` times an async block that awaits
    /// `PendingOnce::new()` and returns `black_box(1)`, awaited in a `spawn_local` task (no
    /// coroutine and no task of its own, so this is what the pending await alone costs).
    pub fn pending_native(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        in_local_task(runtime, local, async move {
            let start = Instant::now();
            for _ in 0..iters {
                let once = async {
                    PendingOnce::new().await;
                    black_box(1)
                };
                assert_eq!(black_box(once).await, 1);
            }
            start.elapsed()
        })
    }

    /// `iters` times `tokio::spawn(async { black_box(1) }).await`, in a task on a current-thread
    /// runtime.
    pub fn tokio_spawn(runtime: &Runtime, iters: u64) -> Duration {
        runtime.block_on(async move {
            let task = tokio::spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let task = tokio::spawn(async { black_box(1) });
                    black_box(task.await.expect("the spawned task panicked"));
                }
                start.elapsed()
            });
            task.await.expect("the benchmark task panicked")
        })
    }

    /// `iters` times `spawn_blocking(move || handle.block_on(async { black_box(1) })).await`, the
    /// thread bridge, in a task on a multi-thread runtime.
    pub fn thread_bridge(runtime: &Runtime, iters: u64) -> Duration {
        runtime.block_on(async move {
            let task = tokio::spawn(async move {
                let handle = Handle::current();
                let start = Instant::now();
                for _ in 0..iters {
                    let handle = handle.clone();
                    let task = tokio::task::spawn_blocking(move || {
                        handle.block_on(async { black_box(1) })
                    });
                    black_box(task.await.expect("the blocking task panicked"));
                }
                start.elapsed()
            });
            task.await.expect("the benchmark task panicked")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::task::LocalSet;

    #[test]
    fn pending_once_is_pending_exactly_once() {
        use std::future::Future as _;
        let mut future = pin!(pending_once::PendingOnce::new());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        assert!(future.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn the_await_workloads_run() {
        ready::under_awaitlet(100);
        ready::native(100);
        let runtime = current_thread_runtime();
        let local = LocalSet::new();
        pending_once::under_awaitlet(&runtime, &local, 100);
        pending_once::native(&runtime, &local, 100);
    }

    #[test]
    fn the_portal_workloads_run() {
        let runtime = current_thread_runtime();
        let local = LocalSet::new();
        portals::awaitlet_mid_poll(&runtime, &local, 100);
        portals::native_in_portal(&runtime, &local, 100);
        portals::roundtrip(&runtime, &local, 100);
    }

    #[test]
    fn the_roundtrip_workloads_run() {
        let runtime = current_thread_runtime();
        let local = LocalSet::new();
        roundtrip::under_awaitlet(&runtime, &local, 100);
        roundtrip::tokio_spawn(&runtime, 100);
        roundtrip::thread_bridge(&multi_thread_runtime(), 10);
    }

    #[test]
    fn the_pinned_workloads_run() {
        let runtime = pinned::runtime_with_time();
        pinned::sequential::spawn_pinned(&runtime, 100);
        pinned::sequential::local_pool_handle(&runtime, 100);
        let wait = std::time::Duration::from_millis(1);
        pinned::timers::under_awaitlet(&runtime, 100, wait);
        pinned::timers::thread_bridge(&runtime, 100, wait);
    }
}

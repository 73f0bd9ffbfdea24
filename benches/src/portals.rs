//! What a portal costs: an `awaitlet!` from sync code inside a portal's poll, a native `.await`
//! inside a portal, and a portal created and finished, each against its baseline in
//! [`crate::pending_once`] and [`crate::roundtrip`], all in `spawn_local` tasks on a current-thread
//! runtime.

use std::hint::black_box;
use std::time::{Duration, Instant};

use awaitlet::awaitlet;
use tokio::runtime::Runtime;
use tokio::task::{LocalSet, spawn_local};

use crate::pending_once::PendingOnce;

/// Sync code that awaits a pending-once future: what the portal's async code calls. Not inlined,
/// as a sync layer of a real port is not: the coroutine suspends in this function's frame, and
/// once resumed returns from it to a caller whose call the CPU's return-address predictor no
/// longer remembers (its entries are the poller's by then).
#[inline(never)]
fn sync_layer() {
    awaitlet!(PendingOnce::new());
}

/// Runs `future`, a timed loop, in a portal that is a `spawn_local` task.
fn in_portal_task<F>(runtime: &Runtime, local: &LocalSet, future: F) -> Duration
where
    F: Future<Output = Duration> + 'static,
{
    local.block_on(runtime, async move {
        let task = spawn_local(awaitlet::portal(future));
        task.await.expect("the benchmark task panicked")
    })
}

/// `iters` times `layer()` from the async code of a portal, timed.
fn layer_calls_in_portal(
    runtime: &Runtime,
    local: &LocalSet,
    iters: u64,
    layer: impl Fn() + 'static,
) -> Duration {
    in_portal_task(runtime, local, async move {
        let start = Instant::now();
        for _ in 0..iters {
            layer();
        }
        start.elapsed()
    })
}

/// `iters` times a call of sync code that does `awaitlet!(PendingOnce::new())`, from the async
/// code of a portal: each suspends the portal in the middle of its poll. Against
/// [`crate::pending_once::native`].
pub fn awaitlet_mid_poll(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    layer_calls_in_portal(runtime, local, iters, sync_layer)
}

/// [`awaitlet_mid_poll`] with the sync layer inlined into the portal's async code, so that the
/// coroutine goes on in the frame it suspended in: what the portal itself costs, without the
/// mispredicted return of a sync layer's own frame.
pub fn awaitlet_mid_poll_inlined(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    layer_calls_in_portal(runtime, local, iters, || awaitlet!(PendingOnce::new()))
}

/// `iters` times `PendingOnce::new().await` inside a portal. Against
/// [`crate::pending_once::native`], the same loop in a plain task.
pub fn native_in_portal(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    in_portal_task(runtime, local, async move {
        let start = Instant::now();
        for _ in 0..iters {
            PendingOnce::new().await;
        }
        start.elapsed()
    })
}

/// `iters` times `portal(async { black_box(1) }).await` with a pooled stack, in a `spawn_local`
/// task. Against [`crate::roundtrip::under_awaitlet`], the `async_def` round trip.
pub fn roundtrip(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    local.block_on(runtime, async move {
        let task = spawn_local(async move {
            // One untimed round trip puts a stack in this thread's pool.
            black_box(awaitlet::portal(async { black_box(1) }).await);
            let start = Instant::now();
            for _ in 0..iters {
                black_box(awaitlet::portal(async { black_box(1) }).await);
            }
            start.elapsed()
        });
        task.await.expect("the benchmark task panicked")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::current_thread_runtime;

    #[test]
    fn the_inlined_sync_layer_runs() {
        let (runtime, local) = (current_thread_runtime(), LocalSet::new());
        awaitlet_mid_poll_inlined(&runtime, &local, 100);
    }
}

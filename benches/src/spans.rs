//! What awaitlet's `tracing` feature costs a pending-once `awaitlet!` (feature `tracing` of this
//! crate, which turns it on): the [`pending_once`](crate::pending_once) workload with no
//! subscriber, with a `tracing-subscriber` `Registry` as the thread's default, and with that
//! registry and a span entered across every await, which each suspension then exits and each
//! resume enters again. The baseline is native `.await` with the registry and the span entered.

use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::LocalSet;
use tracing::Instrument;

use crate::pending_once::{self, PendingOnce};

/// Runs `f` with a `Registry` as this thread's default subscriber.
fn with_registry<R>(f: impl FnOnce() -> R) -> R {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    f()
}

/// `iters` pending-once awaits on one coroutine, with no subscriber anywhere.
pub fn no_subscriber(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    pending_once::under_awaitlet(runtime, local, iters)
}

/// The same with a `Registry` as the default subscriber, no span entered.
pub fn registry(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    with_registry(|| pending_once::under_awaitlet(runtime, local, iters))
}

/// The same with a `Registry` and a span entered by the sync code across every await.
pub fn registry_entered(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    with_registry(|| {
        local.block_on(runtime, async move {
            let task = tokio::task::spawn_local(awaitlet::async_def(move || {
                let span = tracing::info_span!("request");
                let _entered = span.enter();
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    awaitlet::awaitlet!(PendingOnce::new());
                }
                start.elapsed()
            }));
            task.await.expect("the benchmark task panicked")
        })
    })
}

/// Native `.await` in a task instrumented with a span, with a `Registry`: the span is entered
/// and exited at every poll of the task, as the coroutine's is at every resume and suspension.
pub fn native_instrumented(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
    with_registry(|| {
        local.block_on(runtime, async move {
            let task = tokio::task::spawn_local(
                async move {
                    let start = std::time::Instant::now();
                    for _ in 0..iters {
                        PendingOnce::new().await;
                    }
                    start.elapsed()
                }
                .instrument(tracing::info_span!("request")),
            );
            task.await.expect("the benchmark task panicked")
        })
    })
}

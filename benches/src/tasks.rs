//! The await workloads in the setup users write: a runtime built as
//! `#[tokio::main(flavor = "current_thread")]` builds it (I/O and time drivers on), tasks spawned
//! with `spawn_local` on one `LocalSet`, and the sync side an `#[async_def]` fn (its native
//! counterpart an `async fn`).
//!
//! - [`pending_once`]: [`TASKS`] tasks at once, each awaiting a pending-once future in a loop, so
//!   the scheduler takes turns between them as a server's connections would. Each task's
//!   coroutine has a stack of its own, which the CPU caches must hold together.
//! - [`pingpong`]: the mpsc(1) ping-pong of [`crate::pingpong`], with the consumer an
//!   `#[async_def]` fn spawned as a task of its own.
//!
//! Each returns the time its measured loop took, from before the tasks are spawned until all of
//! them are done; one iteration is one await (one round trip for the ping-pong).

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::{LocalSet, spawn_local};

/// Tasks that take turns in [`pending_once`].
pub const TASKS: u64 = 16;

/// A current-thread runtime as `#[tokio::main(flavor = "current_thread")]` builds it.
pub fn tokio_main_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a current-thread tokio runtime")
}

/// `awaitlet!` of a pending-once future in [`TASKS`] tasks taking turns, against `.await`.
pub mod pending_once {
    use super::*;

    use std::future::Future;

    use awaitlet::{async_def, awaitlet};

    use crate::peers::Bridge;
    use crate::pending_once::PendingOnce;

    #[async_def]
    fn awaits(count: u64) {
        for _ in 0..count {
            awaitlet!(PendingOnce::new());
        }
    }

    async fn native_awaits(count: u64) {
        for _ in 0..count {
            PendingOnce::new().await;
        }
    }

    /// Spawns [`TASKS`] tasks `task(count)` that split about `iters` awaits among them; returns
    /// the time until all are done.
    fn spawned<F>(runtime: &Runtime, local: &LocalSet, iters: u64, task: fn(u64) -> F) -> Duration
    where
        F: Future<Output = ()> + 'static,
    {
        local.block_on(runtime, async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| spawn_local(task(iters.div_ceil(TASKS))))
                .collect();
            for task in tasks {
                task.await.expect("a benchmark task panicked");
            }
            start.elapsed()
        })
    }

    /// About `iters` awaits in all, split over [`TASKS`] `#[async_def]` tasks.
    pub fn under_awaitlet(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        spawned(runtime, local, iters, awaits)
    }

    /// About `iters` awaits in all, split over [`TASKS`] tasks, each a coroutine of bridge `B`
    /// (`B::run(..)`, the closure form, where [`under_awaitlet`] has `#[async_def]` fns).
    pub fn under<B: Bridge>(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        spawned(runtime, local, iters, |count| {
            B::run(move || {
                for _ in 0..count {
                    B::wait(PendingOnce::new());
                }
            })
        })
    }

    /// About `iters` awaits in all, split over [`TASKS`] `async fn` tasks.
    pub fn native(runtime: &Runtime, local: &LocalSet, iters: u64) -> Duration {
        spawned(runtime, local, iters, native_awaits)
    }
}

/// The mpsc(1) ping-pong with an `#[async_def]` consumer task, against an `async fn` one.
pub mod pingpong {
    use super::*;

    use awaitlet::async_def;
    use tokio::sync::mpsc::{self, Receiver, Sender};

    use crate::peers::Awaitlet;
    use crate::pingpong::{native_consumer, producer, sync_consumer};

    #[async_def]
    fn consumer(from_producer: Receiver<u64>, to_producer: Sender<u64>) -> u64 {
        sync_consumer::<Awaitlet>(from_producer, to_producer)
    }

    fn run(runtime: &Runtime, local: &LocalSet, rounds: u64, awaitlet: bool) -> Duration {
        let (to_consumer, from_producer) = mpsc::channel(1);
        let (to_producer, from_consumer) = mpsc::channel(1);
        local.block_on(runtime, async move {
            let start = Instant::now();
            let consumer = if awaitlet {
                spawn_local(consumer(from_producer, to_producer))
            } else {
                spawn_local(native_consumer(from_producer, to_producer))
            };
            spawn_local(producer(to_consumer, from_consumer, rounds))
                .await
                .expect("the producer panicked");
            let echoed = consumer.await.expect("the consumer panicked");
            assert_eq!(echoed, rounds);
            start.elapsed()
        })
    }

    /// `rounds` round trips with the `#[async_def]` consumer.
    pub fn under_awaitlet(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
        run(runtime, local, rounds, true)
    }

    /// `rounds` round trips with the `async fn` consumer.
    pub fn native(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
        run(runtime, local, rounds, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_workloads_run() {
        let runtime = tokio_main_runtime();
        let local = LocalSet::new();
        pending_once::under_awaitlet(&runtime, &local, 100);
        pending_once::native(&runtime, &local, 100);
        pingpong::under_awaitlet(&runtime, &local, 100);
        pingpong::native(&runtime, &local, 100);
    }
}

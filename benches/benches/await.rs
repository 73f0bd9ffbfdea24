//! Per-await cost: `awaitlet!` against native `.await`, on a ready future and on a future that is
//! pending once. Each group runs the awaitlet variant and its baseline in the same run.
//!
//! `cargo bench -p awaitlet-benches --bench await`

use awaitlet_benches::{current_thread_runtime, pending_once, ready, tasks};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::LocalSet;

mod common;

/// One `awaitlet!` of an always-ready future vs `.await`, the loop inside one coroutine.
fn ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("ready");
    group.bench_function("awaitlet", |b| b.iter_custom(ready::under_awaitlet));
    group.bench_function("native", |b| b.iter_custom(ready::native));
    group.finish();
}

/// One `awaitlet!` of a pending-once future vs `.await`, in a `spawn_local` task.
fn pending_once(c: &mut Criterion) {
    let runtime = current_thread_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("pending_once");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| pending_once::under_awaitlet(&runtime, &local, iters))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| pending_once::native(&runtime, &local, iters))
    });
    group.finish();
}

/// The same await in 16 `spawn_local` tasks taking turns, each an `#[async_def]` fn (an
/// `async fn`), on a runtime built as `#[tokio::main(flavor = "current_thread")]` builds it.
fn pending_once_tasks(c: &mut Criterion) {
    let runtime = tasks::tokio_main_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("pending_once_tasks");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| tasks::pending_once::under_awaitlet(&runtime, &local, iters))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| tasks::pending_once::native(&runtime, &local, iters))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = ready, pending_once, pending_once_tasks
}
criterion_main!(benches);

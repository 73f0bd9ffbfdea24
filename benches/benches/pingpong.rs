//! Throughput: a tokio mpsc(1) ping-pong between a native async producer and a consumer that is
//! native async, sync code under `awaitlet!`, or sync code on the thread bridge
//! (`blocking_recv`/`blocking_send` in `spawn_blocking`). One iteration is one round trip.
//!
//! `cargo bench -p awaitlet-benches --bench pingpong`

use awaitlet_benches::{current_thread_runtime, multi_thread_runtime, pingpong, tasks};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::LocalSet;

mod common;

fn pingpong(c: &mut Criterion) {
    let current_thread = current_thread_runtime();
    let local = LocalSet::new();
    let multi_thread = multi_thread_runtime();
    let mut group = c.benchmark_group("pingpong");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|rounds| pingpong::under_awaitlet(&current_thread, &local, rounds))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|rounds| pingpong::native(&current_thread, &local, rounds))
    });
    group.bench_function("thread_bridge", |b| {
        b.iter_custom(|rounds| pingpong::thread_bridge(&multi_thread, rounds))
    });
    group.finish();
}

/// The ping-pong with the consumer an `#[async_def]` fn (an `async fn`) spawned as a task of its
/// own, on a runtime built as `#[tokio::main(flavor = "current_thread")]` builds it.
fn pingpong_tasks(c: &mut Criterion) {
    let runtime = tasks::tokio_main_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("pingpong_tasks");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|rounds| tasks::pingpong::under_awaitlet(&runtime, &local, rounds))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|rounds| tasks::pingpong::native(&runtime, &local, rounds))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = pingpong, pingpong_tasks
}
criterion_main!(benches);

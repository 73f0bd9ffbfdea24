//! Spawn cost: one `async_def` created, run and finished (pooled stack) against `tokio::spawn` of
//! an async block and the thread bridge (`spawn_blocking` + `Handle::block_on`), all awaited from
//! a task, in one group.
//!
//! `cargo bench -p awaitlet-benches --bench roundtrip`

use awaitlet_benches::{current_thread_runtime, multi_thread_runtime, roundtrip};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::LocalSet;

mod common;

fn roundtrip(c: &mut Criterion) {
    let current_thread = current_thread_runtime();
    let local = LocalSet::new();
    let multi_thread = multi_thread_runtime();
    let mut group = c.benchmark_group("roundtrip");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| roundtrip::under_awaitlet(&current_thread, &local, iters))
    });
    group.bench_function("tokio_spawn", |b| {
        b.iter_custom(|iters| roundtrip::tokio_spawn(&current_thread, iters))
    });
    group.bench_function("thread_bridge", |b| {
        b.iter_custom(|iters| roundtrip::thread_bridge(&multi_thread, iters))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = roundtrip
}
criterion_main!(benches);

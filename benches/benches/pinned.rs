//! The `Send` bridge on the multi-thread runtime: `spawn_pinned` calls one after another against
//! the thread bridge and tokio-util's `LocalPoolHandle`, and 10,000 concurrent
//! `#[async_def(send)]` calls each waiting 50 ms on a timer against the thread bridge.
//!
//! `cargo bench -p awaitlet-benches --bench pinned`

use std::time::Duration;

use awaitlet_benches::pinned::{self, timers};
use awaitlet_benches::roundtrip;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

mod common;

fn sequential(c: &mut Criterion) {
    let runtime = pinned::runtime_with_time();
    let mut group = c.benchmark_group("pinned");
    group.bench_function("spawn_pinned", |b| {
        b.iter_custom(|iters| pinned::sequential::spawn_pinned(&runtime, iters))
    });
    group.bench_function("thread_bridge", |b| {
        b.iter_custom(|iters| roundtrip::thread_bridge(&runtime, iters))
    });
    group.bench_function("local_pool_handle", |b| {
        b.iter_custom(|iters| pinned::sequential::local_pool_handle(&runtime, iters))
    });
    group.finish();
}

fn concurrent_timers(c: &mut Criterion) {
    let runtime = pinned::runtime_with_time();
    let mut group = c.benchmark_group("pinned_timers");
    // One iteration is the whole burst, a quarter of a second to a second.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| timers::under_awaitlet(&runtime, timers::CALLS, timers::WAIT))
                .sum()
        })
    });
    group.bench_function("thread_bridge", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| timers::thread_bridge(&runtime, timers::CALLS, timers::WAIT))
                .sum()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = sequential, concurrent_timers
}
criterion_main!(benches);

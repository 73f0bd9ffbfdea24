//! What a portal costs, each figure against its baseline in the same group: `awaitlet!` from sync
//! code in a portal's poll vs native `.await`; native `.await` in a portal vs outside; a portal
//! created and finished vs an `async_def` round trip.
//!
//! `cargo bench -p awaitlet-benches --bench portals`

use awaitlet_benches::{current_thread_runtime, pending_once, portals, roundtrip};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::LocalSet;

mod common;

/// A pending-once `awaitlet!` from sync code called by a portal's async code vs `.await`; also
/// with the sync layer inlined, which leaves out the mispredicted return from its frame.
fn portal_awaitlet(c: &mut Criterion) {
    let runtime = current_thread_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("portal_awaitlet");
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| portals::awaitlet_mid_poll(&runtime, &local, iters))
    });
    group.bench_function("awaitlet_inlined", |b| {
        b.iter_custom(|iters| portals::awaitlet_mid_poll_inlined(&runtime, &local, iters))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| pending_once::native(&runtime, &local, iters))
    });
    group.finish();
}

/// A pending-once native `.await` inside a portal vs the same in a plain task.
fn portal_native(c: &mut Criterion) {
    let runtime = current_thread_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("portal_native");
    group.bench_function("in_portal", |b| {
        b.iter_custom(|iters| portals::native_in_portal(&runtime, &local, iters))
    });
    group.bench_function("outside", |b| {
        b.iter_custom(|iters| pending_once::native(&runtime, &local, iters))
    });
    group.finish();
}

/// A portal created, run and finished vs an `async_def` round trip, both with pooled stacks.
fn portal_roundtrip(c: &mut Criterion) {
    let runtime = current_thread_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("portal_roundtrip");
    group.bench_function("portal", |b| {
        b.iter_custom(|iters| portals::roundtrip(&runtime, &local, iters))
    });
    group.bench_function("async_def", |b| {
        b.iter_custom(|iters| roundtrip::under_awaitlet(&runtime, &local, iters))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = portal_awaitlet, portal_native, portal_roundtrip
}
criterion_main!(benches);

//! What awaitlet's `tracing` feature costs a pending-once await: with no subscriber (compare with
//! the `pending_once` group of a build without the feature), with a `Registry`, and with a span
//! entered across every await, against native `.await` in the same run.
//!
//! `cargo bench -p awaitlet-benches --features tracing --bench spans`

use awaitlet_benches::{current_thread_runtime, pending_once, spans};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::LocalSet;

mod common;

fn pending_once_spans(c: &mut Criterion) {
    let runtime = current_thread_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("pending_once_spans");
    // First, before any subscriber has raised tracing's maximum level.
    group.bench_function("no_subscriber", |b| {
        b.iter_custom(|iters| spans::no_subscriber(&runtime, &local, iters))
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| pending_once::native(&runtime, &local, iters))
    });
    group.bench_function("registry", |b| {
        b.iter_custom(|iters| spans::registry(&runtime, &local, iters))
    });
    group.bench_function("registry_entered", |b| {
        b.iter_custom(|iters| spans::registry_entered(&runtime, &local, iters))
    });
    group.bench_function("native_instrumented", |b| {
        b.iter_custom(|iters| spans::native_instrumented(&runtime, &local, iters))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::micro();
    targets = pending_once_spans
}
criterion_main!(benches);

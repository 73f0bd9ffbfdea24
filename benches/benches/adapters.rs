//! The adapters: `SyncIo` reading 128 MiB from a tokio duplex pipe in 64-byte and 8 KiB reads,
//! against native `AsyncReadExt::read` and tokio-util's `SyncIoBridge` in `spawn_blocking`; and
//! `awaitlet::iter` over a stream of ready items, against `while let Some(x) = s.next().await`.
//! Each group runs its variants in the same run.
//!
//! `cargo bench -p awaitlet-benches --bench adapters`

use std::time::Duration;

use awaitlet_benches::adapters::{TOTAL, iter};
use awaitlet_benches::bridge::{Client, Flavor, Job, Setup};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

mod common;

/// One iteration moves 128 MiB (tens of milliseconds to seconds), so every sample is one
/// iteration, ten per variant.
fn sync_io_read(c: &mut Criterion) {
    let setup = Setup::new(Flavor::CurrentThread);
    for (group, size) in [("sync_io_read_64b", 64), ("sync_io_read_8k", 8 << 10)] {
        let mut group = c.benchmark_group(group);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(10))
            .throughput(Throughput::Bytes(TOTAL as u64));
        let job = Job::Read { size, total: TOTAL };
        for (id, client) in [
            ("awaitlet", Client::SyncIo),
            ("native", Client::Native),
            ("sync_io_bridge", Client::SyncIoBridge),
        ] {
            group.bench_function(id, |b| {
                b.iter_custom(|iters| (0..iters).map(|_| setup.run(client, job).wall).sum())
            });
        }
        group.finish();
    }
}

/// One item of a ready stream: `awaitlet::iter` against `StreamExt::next`.
fn iter(c: &mut Criterion) {
    let mut group = c.benchmark_group("iter");
    group.bench_function("awaitlet", |b| b.iter_custom(iter::under_awaitlet));
    group.bench_function("native", |b| b.iter_custom(iter::native));
    group.finish();
}

criterion_group!(reads, sync_io_read);
criterion_group! {
    name = micro;
    config = common::micro();
    targets = iter
}
criterion_main!(reads, micro);

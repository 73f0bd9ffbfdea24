//! The echo synopsis at scale: 1,000 concurrent clients × 100 round trips each, one connection
//! per client, on loopback, against a native tokio server on its own thread. The client is an
//! `#[async_def]` fn with the sync middle layer, native async, or one OS thread per client. One
//! iteration is the whole workload (100,000 round trips, about a second on a 2-core machine), so
//! the sample size is small: 15 iterations per variant after one warm-up iteration.
//!
//! Every iteration opens 1,000 connections and closes them from the client side, leaving them in
//! TIME_WAIT; Linux reuses those ports for new loopback connections (`net.ipv4.tcp_tw_reuse`, 2 by
//! default), so the whole run stays within the ephemeral port range. It needs about 2,100 file
//! descriptors (`ulimit -n`).
//!
//! `cargo bench -p awaitlet-benches --bench echo`

use std::time::Duration;

use awaitlet_benches::echo::{self, CLIENTS, EchoServer, ROUNDS};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use tokio::task::LocalSet;

fn echo(c: &mut Criterion) {
    let server = EchoServer::start().expect("starting the echo server");
    let addr = server.addr();
    let runtime = echo::client_runtime();
    let local = LocalSet::new();
    let mut group = c.benchmark_group("echo");
    // Every sample the same number of iterations (one, at about a second each).
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("awaitlet", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| echo::under_awaitlet(&runtime, &local, addr, CLIENTS, ROUNDS))
                .sum::<std::io::Result<Duration>>()
                .expect("the awaitlet echo clients failed")
        })
    });
    group.bench_function("native", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| echo::native(&runtime, &local, addr, CLIENTS, ROUNDS))
                .sum::<std::io::Result<Duration>>()
                .expect("the native echo clients failed")
        })
    });
    group.bench_function("threads", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| echo::threads(addr, CLIENTS, ROUNDS))
                .sum::<std::io::Result<Duration>>()
                .expect("the threaded echo clients failed")
        })
    });
    group.finish();
    drop(server);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(25))
        .sample_size(15);
    targets = echo
}
criterion_main!(benches);

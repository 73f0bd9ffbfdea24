//! Pinned calls inside pinned calls, `#[async_def(send)]` fns calling each other through
//! `awaitlet!`, and plain coroutines inside pinned ones, to some depth.

mod common;

use awaitlet::tokio::spawn_pinned;
use awaitlet::{async_def, awaitlet};

use common::thread_name;

/// Sums `depth + (depth - 1) + ... + 1`, each level a pinned call awaited by its parent.
fn pinned_sum(depth: u64) -> u64 {
    if depth == 0 {
        return 0;
    }
    let child = spawn_pinned(move || pinned_sum(depth - 1));
    depth + awaitlet!(child).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_calls_nest() {
    // Each parent is suspended on its pool thread while its child runs, on the same thread or
    // another one.
    assert_eq!(spawn_pinned(|| pinned_sum(12)).await.unwrap(), 78);
}

#[awaitlet::async_def(send)]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    awaitlet!(fib(n - 1)) + awaitlet!(fib(n - 2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_fns_call_send_fns() {
    assert_eq!(tokio::spawn(fib(10)).await.unwrap(), 55);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_coroutines_inside_a_pinned_call() {
    let (total, same_thread) = spawn_pinned(|| {
        let home = thread_name();
        // `AsyncDef`s made and awaited on the pool thread stay there, like any `AsyncDef`.
        let inner: Vec<_> = (1..=3u64)
            .map(|i| {
                async_def(move || {
                    awaitlet!(tokio::task::yield_now());
                    (i * 10, thread_name())
                })
            })
            .collect();
        let results = awaitlet!(futures::future::join_all(inner));
        let total: u64 = results.iter().map(|(n, _)| n).sum();
        (total, results.iter().all(|(_, name)| *name == home))
    })
    .await
    .unwrap();
    assert_eq!((total, same_thread), (60, true));
}

#[tokio::test(flavor = "current_thread")]
async fn pinned_calls_from_nested_plain_coroutines() {
    let outer = async_def(|| {
        awaitlet!(async_def(|| {
            let handles: Vec<_> = (0..4u64).map(|i| spawn_pinned(move || i * i)).collect();
            handles
                .into_iter()
                .map(|h| awaitlet!(h).unwrap())
                .sum::<u64>()
        }))
    });
    assert_eq!(outer.await, 14);
}

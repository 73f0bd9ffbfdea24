//! Thousands of pinned calls suspended at the same time: more than the 512 threads that tokio's
//! blocking pool, and so a thread-per-call bridge, could hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use awaitlet::awaitlet;
use tokio::sync::Barrier;

const CALLS: usize = 2_000;

#[awaitlet::async_def(send, stack_size = 64 * 1024)]
fn wait_for_everyone(i: usize, barrier: Arc<Barrier>, live: Arc<AtomicUsize>) -> usize {
    live.fetch_add(1, Ordering::SeqCst);
    // Nobody passes until all the calls and the test wait here.
    awaitlet!(barrier.wait());
    live.fetch_sub(1, Ordering::SeqCst);
    i * 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_calls_suspended_at_once() {
    let barrier = Arc::new(Barrier::new(CALLS + 1));
    let live = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            tokio::spawn(wait_for_everyone(
                i,
                Arc::clone(&barrier),
                Arc::clone(&live),
            ))
        })
        .collect();
    barrier.wait().await;
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), i * 3);
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

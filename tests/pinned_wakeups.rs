//! Wake-ups across threads: a pinned coroutine woken by events on other threads, and the callers
//! woken by the pool thread, back and forth, with every value arriving in order.

mod common;

use std::time::Duration;

use awaitlet::tokio::spawn_pinned;
use awaitlet::{async_def, awaitlet};
use tokio::sync::{mpsc, oneshot};

use common::thread_name;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woken_by_a_plain_thread() {
    let (tx, rx) = oneshot::channel::<&'static str>();
    let handle = spawn_pinned(move || {
        let message = awaitlet!(rx).unwrap();
        (message, thread_name())
    });
    // Suspended on the pool thread until a thread with no runtime sends.
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        tx.send("from a plain thread").unwrap();
    });
    let (message, ran_on) = handle.await.unwrap();
    assert_eq!(message, "from a plain thread");
    assert!(ran_on.starts_with("awaitlet-pinned-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_pong_between_a_task_and_a_pinned_coroutine() {
    const ROUNDS: u64 = 500;
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
    // The sync side: each value it sees was sent from a worker of the multi-thread runtime, and
    // each reply wakes the task there.
    let echo = spawn_pinned(move || {
        let home = thread_name();
        let mut seen = 0;
        while let Some(n) = awaitlet!(ping_rx.recv()) {
            assert_eq!(thread_name(), home, "a pinned coroutine changed thread");
            seen += 1;
            awaitlet!(pong_tx.send(n + 1)).unwrap();
        }
        seen
    });
    let mut n = 0;
    for _ in 0..ROUNDS {
        ping_tx.send(n).await.unwrap();
        n = pong_rx.recv().await.unwrap() + 1;
    }
    drop(ping_tx);
    assert_eq!(n, 2 * ROUNDS);
    assert_eq!(echo.await.unwrap(), ROUNDS);
}

#[test]
fn the_handle_wakes_a_futures_executor() {
    // `block_on` parks this thread; only the pool thread's completion can wake it.
    let handle = spawn_pinned(|| {
        awaitlet!(tokio::time::sleep(Duration::from_millis(5)));
        7
    });
    assert_eq!(futures::executor::block_on(handle).unwrap(), 7);
}

#[tokio::test(flavor = "current_thread")]
async fn many_pinned_calls_wake_one_coroutine() {
    // One coroutine on this thread awaits calls that end on pool threads, one after another.
    let total = async_def(|| {
        (0..50u64)
            .map(|i| {
                awaitlet!(spawn_pinned(move || {
                    awaitlet!(tokio::task::yield_now());
                    i
                }))
                .unwrap()
            })
            .sum::<u64>()
    })
    .await;
    assert_eq!(total, (0..50).sum());
}

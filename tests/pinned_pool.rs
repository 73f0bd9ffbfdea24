//! The pool behind `spawn_pinned`: its size is set before first use and fixed after, calls go to
//! the least-loaded thread, and a call aborted while still queued never starts.
//!
//! One test, in a binary of its own, because the pool is process-wide and this test needs to know
//! everything that runs on it.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use awaitlet::awaitlet;
use awaitlet::tokio::{pool_size, set_pool_size, spawn_pinned};
use tokio::sync::oneshot;

use common::{SendDropCounter, panic_text, thread_name};

#[test]
fn the_pinned_pool() {
    // Before first use, the size may be set, and set again.
    assert_eq!(set_pool_size(3), Ok(()));
    assert_eq!(set_pool_size(2), Ok(()));
    assert_eq!(pool_size(), 2);
    assert_eq!(
        panic_text(|| set_pool_size(0)),
        "`set_pool_size` needs at least one thread, not zero"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        least_loaded_placement().await;
        abort_of_a_queued_call().await;
    });

    // Started, the size is fixed: the same size is fine, another is refused.
    assert_eq!(set_pool_size(2), Ok(()));
    let refused = set_pool_size(8).unwrap_err();
    assert_eq!(refused.size(), 2);
    assert_eq!(
        refused.to_string(),
        "the `spawn_pinned` pool has already started with 2 threads; call `set_pool_size` before \
         the first `spawn_pinned` or `#[async_def(send)]` call"
    );
    assert_eq!(pool_size(), 2);
}

/// A call that tells where it runs, then waits for its `release`.
fn parked(
    release: oneshot::Receiver<()>,
) -> (
    awaitlet::tokio::JoinHandle<String>,
    oneshot::Receiver<String>,
) {
    let (started_tx, started_rx) = oneshot::channel();
    let handle = spawn_pinned(move || {
        started_tx.send(thread_name()).unwrap();
        awaitlet!(release).unwrap();
        thread_name()
    });
    (handle, started_rx)
}

async fn least_loaded_placement() {
    // With both threads idle, calls one after another keep to the first thread.
    for _ in 0..5 {
        assert_eq!(
            spawn_pinned(thread_name).await.unwrap(),
            "awaitlet-pinned-0"
        );
    }
    // Two calls suspended at once go to the two threads.
    let (release_a, a_release) = oneshot::channel();
    let (release_b, b_release) = oneshot::channel();
    let (a, a_started) = parked(a_release);
    let a_thread = a_started.await.unwrap();
    let (b, b_started) = parked(b_release);
    let b_thread = b_started.await.unwrap();
    let mut threads = [a_thread.clone(), b_thread.clone()];
    threads.sort();
    assert_eq!(threads, ["awaitlet-pinned-0", "awaitlet-pinned-1"]);
    // With `a` finished, its thread is the least loaded one.
    release_a.send(()).unwrap();
    assert_eq!(a.await.unwrap(), a_thread);
    assert_eq!(spawn_pinned(thread_name).await.unwrap(), a_thread);
    release_b.send(()).unwrap();
    assert_eq!(b.await.unwrap(), b_thread);
}

async fn abort_of_a_queued_call() {
    // Block both pool threads for real, so that the next call waits in a queue.
    let (unblock_tx, unblock_rx) = mpsc::channel::<()>();
    let unblock_rx = Arc::new(Mutex::new(unblock_rx));
    let mut blockers = Vec::new();
    for _ in 0..2 {
        let (started_tx, started_rx) = oneshot::channel();
        let unblock_rx = Arc::clone(&unblock_rx);
        blockers.push(spawn_pinned(move || {
            started_tx.send(()).unwrap();
            // A blocking call: this pool thread runs nothing else until it returns.
            unblock_rx.lock().unwrap().recv().unwrap();
        }));
        started_rx.await.unwrap();
    }
    let drops = SendDropCounter::new();
    let ran = Arc::new(Mutex::new(false));
    let (captured, flag) = (drops.value(), Arc::clone(&ran));
    let queued = spawn_pinned(move || {
        let _captured = captured;
        *flag.lock().unwrap() = true;
    });
    queued.abort();
    for _ in 0..2 {
        unblock_tx.send(()).unwrap();
    }
    for blocker in blockers {
        blocker.await.unwrap();
    }
    // It never started: its closure was dropped, once, and its body never ran.
    assert!(queued.await.unwrap_err().is_cancelled());
    assert_eq!(drops.dropped(), 1);
    assert!(!*ran.lock().unwrap());
}

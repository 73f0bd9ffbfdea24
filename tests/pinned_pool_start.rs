//! `set_pool_size` called while the `spawn_pinned` pool starts: the size is either used, or
//! refused with the size the pool has, never accepted and then ignored.
//!
//! In a binary of its own: the pool is process-wide, and this test must be the one to start it.

use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use awaitlet::tokio::{PoolStarted, pool_size, set_pool_size, spawn_pinned};

/// The thread that calls `set_pool_size` while the pool starts.
static RACER: Mutex<Option<JoinHandle<Result<(), PoolStarted>>>> = Mutex::new(None);

/// Runs while the pool starts, after it read its size and before it is published: calls
/// `set_pool_size(3)` from another thread, and gives it time to return.
fn race_set_pool_size() {
    let (returned_tx, returned_rx) = mpsc::channel();
    let racer = std::thread::spawn(move || {
        let result = set_pool_size(3);
        let _ = returned_tx.send(());
        result
    });
    *RACER.lock().unwrap() = Some(racer);
    // Where the start holds off `set_pool_size` until the pool is published, it cannot return
    // now; waiting for it would deadlock, so the wait is bounded.
    let _ = returned_rx.recv_timeout(Duration::from_millis(500));
}

#[test]
fn a_size_set_while_the_pool_starts_is_used_or_refused() {
    set_pool_size(2).unwrap();
    assert!(awaitlet::__private::testing::on_pool_start(
        race_set_pool_size
    ));
    let handle = spawn_pinned(|| 1);
    assert_eq!(futures::executor::block_on(handle).unwrap(), 1);
    let racer = RACER.lock().unwrap().take().expect("the pool started");
    match racer.join().unwrap() {
        Ok(()) => assert_eq!(
            pool_size(),
            3,
            "`set_pool_size(3)` returned `Ok` and was ignored"
        ),
        Err(refused) => assert_eq!(refused.size(), pool_size()),
    }
}

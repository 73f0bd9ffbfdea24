//! Cancelling pinned calls: `JoinHandle::abort` and dropping an `#[async_def(send)]` future unwind
//! the coroutine on its own pool thread, running every destructor on its stack exactly once;
//! dropping a `JoinHandle` only detaches the call. (Aborting a call that has not started yet is
//! in `pinned_pool.rs`, which controls what the pool threads are doing.)

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use awaitlet::tokio::spawn_pinned;
use awaitlet::{async_def, awaitlet};
use tokio::sync::oneshot;

use common::{SendDropCounter, thread_name};

const PATIENCE: Duration = Duration::from_secs(30);

/// Records, when dropped, the thread it was dropped on and whether that thread was unwinding.
struct Witness(Arc<Mutex<Vec<(String, bool)>>>);

impl Drop for Witness {
    fn drop(&mut self) {
        let unwinding = std::thread::panicking();
        self.0.lock().unwrap().push((thread_name(), unwinding));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_unwinds_a_suspended_call_on_its_pool_thread() {
    let drops = SendDropCounter::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (started_tx, started_rx) = oneshot::channel();
    let (captured, witness) = (drops.value(), Witness(Arc::clone(&log)));
    let handle = spawn_pinned(move || {
        let _captured = captured;
        let _witness = witness;
        let _on_the_stack = Witness(Arc::new(Mutex::new(Vec::new())));
        started_tx.send(thread_name()).unwrap();
        awaitlet!(std::future::pending::<()>());
        unreachable!("a cancelled call went on");
    });
    let ran_on = started_rx.await.unwrap();
    assert!(!handle.is_finished());
    handle.abort();
    handle.abort(); // a second request changes nothing
    let error = handle.await.unwrap_err();
    assert!(error.is_cancelled());
    assert_eq!(error.to_string(), "pinned call was cancelled");
    // By the time the handle reports the end, the destructors have run, once each, on the pool
    // thread that ran the coroutine, as part of unwinding its stack.
    assert_eq!(drops.dropped(), 1);
    assert_eq!(*log.lock().unwrap(), [(ran_on, true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_after_the_end_keeps_the_output() {
    let drops = SendDropCounter::new();
    let value = drops.value();
    let handle = spawn_pinned(move || value);
    while !handle.is_finished() {
        tokio::task::yield_now().await;
    }
    handle.abort();
    let output = handle.await.unwrap();
    assert_eq!(drops.dropped(), 0);
    drop(output);
    assert_eq!(drops.dropped(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_detaches_the_call() {
    let drops = SendDropCounter::new();
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<String>();
    let output = drops.value();
    let handle = spawn_pinned(move || {
        awaitlet!(go_rx).unwrap();
        done_tx.send(thread_name()).unwrap();
        output
    });
    drop(handle);
    go_tx.send(()).unwrap();
    // It ran on to its end, and its output, which nobody can take, was dropped on the pool.
    let ran_on = done_rx.await.unwrap();
    assert!(ran_on.starts_with("awaitlet-pinned-"));
    drops.wait_for(1, PATIENCE);
    assert_eq!(drops.dropped(), 1);
}

#[awaitlet::async_def(send)]
fn wait_forever(captured: common::SendCounted, started: oneshot::Sender<()>) {
    let _on_the_stack = captured;
    started.send(()).unwrap();
    awaitlet!(std::future::pending::<()>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_send_future_cancels_the_call() {
    let drops = SendDropCounter::new();
    let (started_tx, started_rx) = oneshot::channel();
    let task = tokio::spawn(wait_forever(drops.value(), started_tx));
    started_rx.await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // The task's drop asked for the abort; the pool thread unwinds the coroutine right after.
    drops.wait_for(1, PATIENCE);
    assert_eq!(drops.dropped(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_cancels_a_send_call() {
    let drops = SendDropCounter::new();
    let (started_tx, _started_rx) = oneshot::channel();
    let result = tokio::time::timeout(
        Duration::from_millis(5),
        wait_forever(drops.value(), started_tx),
    )
    .await;
    assert!(result.is_err());
    drops.wait_for(1, PATIENCE);
    assert_eq!(drops.dropped(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_send_future_before_its_first_poll_runs_nothing() {
    let drops = SendDropCounter::new();
    let (started_tx, started_rx) = oneshot::channel();
    let future = wait_forever(drops.value(), started_tx);
    drop(future);
    // The arguments were dropped right here, and no call was made.
    assert_eq!(drops.dropped(), 1);
    assert!(started_rx.await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_parent_cancels_the_children_it_awaits() {
    let drops = SendDropCounter::new();
    let (started_tx, started_rx) = oneshot::channel();
    let (parent_value, child_value) = (drops.value(), drops.value());
    let parent = spawn_pinned(move || {
        let _parent_value = parent_value;
        // The child is another `#[async_def(send)]` call, on whichever pool thread is free;
        // unwinding the parent drops its future, which aborts it in turn.
        awaitlet!(wait_forever(child_value, started_tx));
    });
    started_rx.await.unwrap();
    parent.abort();
    assert!(parent.await.unwrap_err().is_cancelled());
    drops.wait_for(2, PATIENCE);
    assert_eq!(drops.dropped(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_call_can_clean_up_with_try_awaitlet_only() {
    let (tx, rx) = oneshot::channel::<Result<(), String>>();
    struct Cleanup(Option<oneshot::Sender<Result<(), String>>>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            // Runs during the unwinding: `awaitlet!` would panic, `try_awaitlet` says why.
            let result = awaitlet::try_awaitlet(async {}).map_err(|error| error.to_string());
            self.0.take().unwrap().send(result).unwrap();
        }
    }
    let (started_tx, started_rx) = oneshot::channel();
    let handle = spawn_pinned(move || {
        let _cleanup = Cleanup(Some(tx));
        started_tx.send(()).unwrap();
        awaitlet!(std::future::pending::<()>());
    });
    started_rx.await.unwrap();
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    let refusal = rx.await.unwrap().unwrap_err();
    assert!(
        refusal.starts_with("`awaitlet!` called outside of an async_def: "),
        "{refusal}"
    );
    // The pool thread is fine afterwards.
    let inside = async_def(|| awaitlet!(spawn_pinned(awaitlet::in_async_def)));
    assert!(inside.await.unwrap());
}

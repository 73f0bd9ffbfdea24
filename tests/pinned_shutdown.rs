//! A caller's runtime shut down while its pinned calls are suspended: shutting it down does not
//! hang, the `#[async_def(send)]` calls of its tasks are cancelled (their destructors run on the
//! pool), detached `spawn_pinned` calls run on, and a call still using one of its I/O objects gets
//! an error rather than waiting forever.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use awaitlet::awaitlet;
use awaitlet::tokio::spawn_pinned;
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use common::{SendCounted, SendDropCounter};

const PATIENCE: Duration = Duration::from_secs(30);
const CALLS: usize = 100;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Waits until `count` reaches `expected`; panics after `PATIENCE`, which only a hang takes.
fn wait_until(count: &AtomicUsize, expected: usize) {
    let deadline = Instant::now() + PATIENCE;
    while count.load(Ordering::SeqCst) < expected {
        assert!(
            Instant::now() < deadline,
            "still waiting after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[awaitlet::async_def(send)]
fn wait_forever(guard: SendCounted, started: Arc<AtomicUsize>) {
    let _guard = guard;
    started.fetch_add(1, Ordering::SeqCst);
    awaitlet!(std::future::pending::<()>());
}

#[test]
fn shutting_down_cancels_the_send_calls_of_its_tasks() {
    let drops = SendDropCounter::new();
    let started = Arc::new(AtomicUsize::new(0));
    let runtime = runtime();
    for _ in 0..CALLS {
        runtime.spawn(wait_forever(drops.value(), Arc::clone(&started)));
    }
    wait_until(&started, CALLS);
    // Dropping the runtime drops its tasks, whose `#[async_def(send)]` futures abort their calls.
    drop(runtime);
    drops.wait_for(CALLS, PATIENCE);
    assert_eq!(drops.dropped(), CALLS);
}

#[test]
fn detached_calls_outlive_the_runtime_they_were_made_on() {
    let runtime = runtime();
    let (go_tx, go_rx) = oneshot::channel::<u32>();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    runtime.block_on(async {
        // Detached: nobody will await it.
        drop(spawn_pinned(move || {
            let n = awaitlet!(go_rx).unwrap();
            done_tx.send(n * 2).unwrap();
        }));
    });
    runtime.shutdown_timeout(PATIENCE);
    go_tx.send(21).unwrap();
    assert_eq!(done_rx.recv_timeout(PATIENCE).unwrap(), 42);
}

#[test]
fn io_of_a_runtime_that_shut_down_is_an_error() {
    let runtime = runtime();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (stream, server_side) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        // The server side stays open and silent, so the read waits.
        let server_side = listener.accept().await.unwrap().0;
        (stream, server_side)
    });
    let handle = spawn_pinned(move || {
        let (mut stream, _server_side) = (stream, server_side);
        started_tx.send(()).unwrap();
        let mut buffer = [0u8; 16];
        awaitlet!(stream.read(&mut buffer))
    });
    started_rx.recv_timeout(PATIENCE).unwrap();
    // The stream's I/O driver goes away with the runtime; the suspended read is woken with an
    // error instead of waiting forever.
    drop(runtime);
    let read = futures::executor::block_on(handle).unwrap();
    let error = read.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::Other, "{error}");
    assert!(error.to_string().contains("shutdown"), "{error}");
}

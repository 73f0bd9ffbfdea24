//! `spawn_pinned` and `#[async_def(send)]` from every kind of caller: `tokio::spawn` on the
//! multi-thread runtime, a current-thread runtime, a thread with no runtime at all, and another
//! coroutine; and, inside, the pool thread's own tokio runtime and I/O objects that were made on
//! the caller's runtime.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use awaitlet::tokio::spawn_pinned;
use awaitlet::{async_def, awaitlet};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use common::thread_name;

/// Unchanged sync middle layer.
fn double_after_a_nap(n: u64) -> u64 {
    awaitlet!(tokio::time::sleep(Duration::from_millis(1)));
    n * 2
}

#[async_def(send)]
fn api(n: u64) -> u64 {
    double_after_a_nap(n)
}

fn require_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_spawn_on_the_multi_thread_runtime() {
    let tasks: Vec<_> = (0..32)
        .map(|n| tokio::spawn(require_send(api(n))))
        .collect();
    for (n, task) in (0..).zip(tasks) {
        assert_eq!(task.await.unwrap(), n * 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_call_runs_on_a_named_pool_thread() {
    let caller = thread_name();
    let (name, again) = spawn_pinned(|| {
        let before = thread_name();
        awaitlet!(tokio::time::sleep(Duration::from_millis(1)));
        (before, thread_name())
    })
    .await
    .unwrap();
    assert!(name.starts_with("awaitlet-pinned-"), "ran on {name}");
    // The coroutine never changes thread, whoever wakes it.
    assert_eq!(name, again);
    assert_ne!(name, caller);
}

#[tokio::test(flavor = "current_thread")]
async fn from_a_current_thread_runtime() {
    assert_eq!(api(20).await, 40);
    let name = spawn_pinned(thread_name).await.unwrap();
    assert!(name.starts_with("awaitlet-pinned-"), "ran on {name}");
}

#[test]
fn from_a_thread_without_a_runtime() {
    let from_thread = std::thread::spawn(|| {
        assert!(tokio::runtime::Handle::try_current().is_err());
        let sum = futures::executor::block_on(spawn_pinned(|| double_after_a_nap(4))).unwrap();
        sum + futures::executor::block_on(api(1))
    });
    assert_eq!(from_thread.join().unwrap(), 10);
}

#[tokio::test(flavor = "current_thread")]
async fn from_inside_a_coroutine() {
    let outer = async_def(|| {
        let here = thread_name();
        let handle = spawn_pinned(|| double_after_a_nap(3));
        let pinned = awaitlet!(handle).unwrap();
        let sent = awaitlet!(api(10));
        (pinned + sent, here == thread_name())
    });
    assert_eq!(outer.await, (26, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_threads_runtime_has_time_net_and_spawn() {
    let reply = spawn_pinned(|| {
        // `tokio::spawn` inside the sync code spawns onto the pool thread's runtime.
        let spawned = tokio::spawn(async { thread_name() });
        let spawned_on = awaitlet!(spawned).unwrap();
        // Time and I/O drivers are on.
        awaitlet!(tokio::time::sleep(Duration::from_millis(1)));
        let listener = awaitlet!(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(b"hello from the pool\n").await.unwrap();
        });
        let stream = awaitlet!(TcpStream::connect(addr)).unwrap();
        let mut line = String::new();
        awaitlet!(BufReader::new(stream).read_line(&mut line)).unwrap();
        awaitlet!(server).unwrap();
        (spawned_on == thread_name(), line)
    })
    .await
    .unwrap();
    assert_eq!(reply, (true, "hello from the pool\n".to_string()));
}

/// The bottom layer of a blocking-style client, over a socket it was handed.
fn ask(stream: &mut TcpStream, question: &str) -> String {
    awaitlet!(stream.write_all(format!("{question}\n").as_bytes())).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    awaitlet!(reader.read_line(&mut line)).unwrap();
    line.trim_end().to_string()
}

#[async_def(send)]
fn conversation(mut stream: TcpStream, questions: Vec<String>) -> Vec<String> {
    questions.iter().map(|q| ask(&mut stream, q)).collect()
}

async fn shouting_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply = format!("{}\n", line.to_uppercase());
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_objects_of_the_callers_runtime_work_inside() {
    let addr = shouting_server().await;
    let calls: Vec<_> = (0..16)
        .map(|i| async move {
            // Made on the caller's runtime, registered with its I/O driver, then moved to a pool
            // thread: tokio's I/O objects may be polled from any thread.
            let stream = TcpStream::connect(addr).await.unwrap();
            let questions = vec![format!("call {i}"), "second".to_string()];
            tokio::spawn(conversation(stream, questions)).await.unwrap()
        })
        .collect();
    let replies = futures::future::join_all(calls).await;
    for (i, reply) in replies.into_iter().enumerate() {
        assert_eq!(reply, [format!("CALL {i}"), "SECOND".to_string()]);
    }
}

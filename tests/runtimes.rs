//! Runtime-agnostic: the same coroutines run under tokio (current-thread, and a `LocalSet` on a
//! multi-thread runtime), `futures::executor::block_on` and `LocalPool`, with wakes that come
//! from other threads; ten thousand of them at once on one thread; and with `!Send` values held
//! across `awaitlet!`, which is why `AsyncDef` stays on its thread.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Mutex;
use std::thread::{self, ThreadId};
use std::time::Duration;

use awaitlet::{Builder, async_def, awaitlet};
use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use futures::executor::{LocalPool, block_on};
use futures::task::LocalSpawnExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use common::{pending_then, yield_now};

/// Unchanged, blocking-style middle layer: it only sees a closure that returns a value.
fn middle_layer(words: &[&str], mut fetch: impl FnMut(String) -> String) -> Vec<String> {
    words.iter().map(|word| fetch(word.to_string())).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn tokio_current_thread() {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
    let producer = tokio::spawn(async move {
        for i in 1..=5 {
            tx.send(i).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let fut = async_def(move || {
        let mut sum = 0;
        while let Some(n) = awaitlet!(rx.recv()) {
            sum += n;
        }
        sum
    });
    assert_eq!(fut.await, 15);
    producer.await.unwrap();
}

#[awaitlet::async_def]
fn echo_words(
    addr: std::net::SocketAddr,
    words: Vec<&'static str>,
) -> std::io::Result<Vec<String>> {
    let mut stream = awaitlet!(tokio::net::TcpStream::connect(addr))?;
    let replies = middle_layer(&words, |word| {
        awaitlet!(stream.write_all(format!("{word}\n").as_bytes())).unwrap();
        let mut reader = BufReader::new(&mut stream);
        let mut line = String::new();
        awaitlet!(reader.read_line(&mut line)).unwrap();
        line.trim_end().to_string()
    });
    Ok(replies)
}

#[tokio::test(flavor = "current_thread")]
async fn tokio_current_thread_with_real_io() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            write
                .write_all(format!("echo {line}\n").as_bytes())
                .await
                .unwrap();
        }
    });
    let replies = echo_words(addr, vec!["one", "two", "three"]).await.unwrap();
    assert_eq!(replies, ["echo one", "echo two", "echo three"]);
    server.abort();
}

#[test]
fn tokio_multi_thread_with_a_local_set() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let home = thread::current().id();
    let threads = local.block_on(&runtime, async {
        let task = tokio::task::spawn_local(async_def(|| {
            let mut seen: Vec<ThreadId> = vec![thread::current().id()];
            // Woken by the timer driver.
            awaitlet!(tokio::time::sleep(Duration::from_millis(2)));
            seen.push(thread::current().id());
            // Woken by a task running on a worker thread.
            let (tx, rx) = tokio::sync::oneshot::channel();
            tokio::spawn(async move { tx.send(21).unwrap() });
            let n = awaitlet!(rx).unwrap();
            seen.push(thread::current().id());
            // A `JoinHandle` of a multi-thread task is a future like any other.
            let m = awaitlet!(tokio::spawn(async move { n * 2 })).unwrap();
            seen.push(thread::current().id());
            (m, seen)
        }));
        task.await.unwrap()
    });
    let (answer, seen) = threads;
    assert_eq!(answer, 42);
    // The coroutine ran on the LocalSet's thread every time, whoever woke it.
    assert!(seen.iter().all(|id| *id == home), "{seen:?} vs {home:?}");
}

#[test]
fn futures_block_on_woken_from_another_thread() {
    let (tx, rx) = oneshot::channel::<String>();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        tx.send("from another thread".to_string()).unwrap();
    });
    let home = thread::current().id();
    let fut = async_def(move || {
        let message = awaitlet!(rx).unwrap();
        (message, thread::current().id())
    });
    // `block_on` parks this thread until the other thread's send wakes it.
    let (message, ran_on) = block_on(fut);
    assert_eq!(message, "from another thread");
    assert_eq!(ran_on, home);
    sender.join().unwrap();
}

#[test]
fn futures_local_pool() {
    // A producer and a consumer coroutine talking through a bounded channel: the producer
    // suspends on back-pressure, the consumer on an empty channel.
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let (mut tx, mut rx) = mpsc::channel::<u32>(0);
    let received = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&received);
    spawner
        .spawn_local(async_def(move || {
            for i in 0..20 {
                awaitlet!(futures::SinkExt::send(&mut tx, i)).unwrap();
            }
        }))
        .unwrap();
    spawner
        .spawn_local(async_def(move || {
            while let Some(n) = awaitlet!(rx.next()) {
                sink.borrow_mut().push(n);
            }
        }))
        .unwrap();
    pool.run();
    assert_eq!(*received.borrow(), (0..20).collect::<Vec<_>>());
}

#[test]
fn ten_thousand_coroutines_on_one_thread() {
    const COUNT: u64 = 10_000;
    let live = Rc::new(Cell::new(0u64));
    let max_live = Rc::new(Cell::new(0u64));
    let builder = Builder::new().stack_size(16 * 1024);
    let coroutines = (0..COUNT).map(|i| {
        let (live, max_live) = (Rc::clone(&live), Rc::clone(&max_live));
        builder.async_def(move || {
            live.set(live.get() + 1);
            max_live.set(max_live.get().max(live.get()));
            let mut sum = 0;
            for step in 0..4 {
                sum += awaitlet!(pending_then(1, i + step));
            }
            live.set(live.get() - 1);
            sum
        })
    });
    let results = block_on(futures::future::join_all(coroutines));
    let expected: Vec<u64> = (0..COUNT).map(|i| 4 * i + 6).collect();
    assert_eq!(results, expected);
    // All of them were suspended at the same time, each on its own stack.
    assert_eq!(max_live.get(), COUNT);
    assert_eq!(live.get(), 0);
}

thread_local! {
    static REGISTRY: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn not_send_values_held_across_awaitlet() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let shared = Rc::new(RefCell::new(vec![1]));
    let mutex = Rc::new(Mutex::new(0));
    let (in_task, mutex_in_task) = (Rc::clone(&shared), Rc::clone(&mutex));
    let task = async_def(move || {
        // An `Rc` and a live `RefCell` borrow across suspensions.
        let rc = Rc::clone(&in_task);
        let mut borrowed = rc.borrow_mut();
        borrowed.push(awaitlet!(pending_then(2, 2)));
        awaitlet!(tokio::time::sleep(Duration::from_millis(1)));
        borrowed.push(3);
        drop(borrowed);
        // A `MutexGuard` (`!Send`) across a suspension.
        let mut guard = mutex_in_task.lock().unwrap();
        *guard += awaitlet!(pending_then(1, 10));
        drop(guard);
        // A borrow of a thread-local across a suspension: still the same thread's value.
        REGISTRY.with_borrow_mut(|registry| {
            registry.push("before");
            awaitlet!(yield_now());
            registry.push("after");
        });
        Rc::strong_count(&rc)
    });
    let strong = local.block_on(&runtime, async {
        tokio::task::spawn_local(task).await.unwrap()
    });
    // The test's, the coroutine capture's, and the coroutine's local clone.
    assert_eq!(strong, 3);
    assert_eq!(*shared.borrow(), [1, 2, 3]);
    assert_eq!(*mutex.lock().unwrap(), 10);
    assert_eq!(REGISTRY.with_borrow(Clone::clone), ["before", "after"]);
}

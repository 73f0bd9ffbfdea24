//! `awaitlet::sync::Mutex` under contention: coroutines on one thread wait for it suspended (the
//! holder runs meanwhile), plain threads block for it, both kinds contend for the same lock with
//! exact totals, `try_lock` never waits, and a plain-thread waiter is not starved by coroutines
//! that keep relocking.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::task::Poll;

use awaitlet::sync::{Mutex, TryLockError};
use awaitlet::{async_def, awaitlet};
use futures::executor::block_on;
use futures::future::join_all;

use common::{poll_once, yield_now};

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn many_coroutines_on_one_thread_take_turns() {
    const CALLS: usize = 50;
    const ROUNDS: usize = 10;
    let counter = Rc::new(Mutex::new(0_usize));
    let inside = Rc::new(Cell::new(0));
    let contended = Rc::new(Cell::new(0));
    let calls = (0..CALLS).map(|_| {
        let (counter, inside, contended) = (counter.clone(), inside.clone(), contended.clone());
        async_def(move || {
            for _ in 0..ROUNDS {
                if matches!(counter.try_lock(), Err(TryLockError::WouldBlock)) {
                    contended.set(contended.get() + 1);
                }
                let mut count = counter.lock().unwrap();
                inside.set(inside.get() + 1);
                assert_eq!(inside.get(), 1, "two calls inside the critical section");
                // A read-modify-write across a suspension: the others run, and must wait.
                let seen = *count;
                awaitlet!(yield_now());
                *count = seen + 1;
                inside.set(inside.get() - 1);
            }
        })
    });
    block_on(join_all(calls));
    assert_eq!(*counter.lock().unwrap(), CALLS * ROUNDS);
    // On the first round every call but the first found it held (the first holds it across its
    // suspension), and waited for it suspended, not blocking the thread.
    assert!(
        contended.get() >= CALLS - 1,
        "contended {} times",
        contended.get()
    );
}

#[test]
fn a_waiting_coroutine_lets_the_other_calls_on_its_thread_run() {
    let mutex = Arc::new(Mutex::new(String::from("unset")));
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // A plain thread holds the lock until told to release it.
    let holder = std::thread::spawn({
        let mutex = Arc::clone(&mutex);
        move || {
            let mut value = mutex.lock().unwrap();
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            *value = String::from("set by the thread");
        }
    });
    held_rx.recv().unwrap();
    let waiter = async_def({
        let mutex = Arc::clone(&mutex);
        move || mutex.lock().unwrap().clone()
    });
    // Only runs while the waiter is suspended in `lock`: with a blocking lock it never would.
    let releaser = async_def({
        let mutex = Arc::clone(&mutex);
        move || {
            assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
            release_tx.send(()).unwrap();
        }
    });
    let (seen, ()) = current_thread().block_on(async { futures::join!(waiter, releaser) });
    assert_eq!(seen, "set by the thread");
    holder.join().unwrap();
}

#[test]
fn coroutines_and_plain_threads_contend_for_one_lock() {
    const THREADS: usize = 2;
    const THREAD_ROUNDS: usize = 500;
    const CALLS: usize = 20;
    const CALL_ROUNDS: usize = 50;
    let counter = Arc::new(Mutex::new(0_usize));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                for _ in 0..THREAD_ROUNDS {
                    let mut count = counter.lock().unwrap();
                    let seen = *count;
                    std::thread::yield_now();
                    *count = seen + 1;
                }
            })
        })
        .collect();
    let calls = (0..CALLS).map(|_| {
        let counter = Arc::clone(&counter);
        async_def(move || {
            for _ in 0..CALL_ROUNDS {
                let mut count = counter.lock().unwrap();
                let seen = *count;
                awaitlet!(tokio::task::yield_now());
                *count = seen + 1;
            }
        })
    });
    current_thread().block_on(join_all(calls));
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(
        *counter.lock().unwrap(),
        THREADS * THREAD_ROUNDS + CALLS * CALL_ROUNDS
    );
}

#[test]
fn try_lock_never_waits() {
    let mutex = Rc::new(Mutex::new(1));
    let holder = async_def({
        let mutex = Rc::clone(&mutex);
        move || {
            let mut guard = mutex.lock().unwrap();
            awaitlet!(yield_now());
            *guard = 2;
        }
    });
    let mut holder = std::pin::pin!(holder);
    assert!(poll_once(holder.as_mut()).is_pending());
    // Held by a suspended coroutine: `WouldBlock` on a plain thread and in a coroutine, whose
    // first poll then finishes without suspending.
    assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
    let trier = async_def({
        let mutex = Rc::clone(&mutex);
        move || matches!(mutex.try_lock(), Err(TryLockError::WouldBlock))
    });
    assert_eq!(poll_once(std::pin::pin!(trier)), Poll::Ready(true));
    assert_eq!(
        mutex.try_lock().unwrap_err().to_string(),
        "try_lock failed because the operation would block"
    );
    assert!(poll_once(holder.as_mut()).is_ready());
    assert_eq!(*mutex.try_lock().unwrap(), 2);
}

#[test]
fn an_uncontended_lock_is_not_an_await() {
    // `assert_await_occurs` counts `awaitlet!` calls: taking a free lock makes none.
    let mutex = Rc::new(Mutex::new(0));
    let body = {
        let mutex = Rc::clone(&mutex);
        move || *mutex.lock().unwrap() += 1
    };
    let future = awaitlet::Builder::new()
        .assert_await_occurs(true)
        .async_def(body);
    let text = common::panic_text(|| block_on(future));
    assert!(text.contains("assert_await_occurs"), "{text}");
    assert_eq!(*mutex.lock().unwrap(), 1);
}

#[test]
fn a_plain_thread_waiter_is_not_starved_by_relocking_coroutines() {
    const CALLS: usize = 4;
    // Far more rounds than the waiter needs: the relocking stops once it got the lock.
    const MAX_ROUNDS: usize = 200_000;
    let mutex = Arc::new(Mutex::new(()));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (waiting, is_waiting) = tokio::sync::watch::channel(false);
    let served = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let waiter = std::thread::spawn({
        let (mutex, served) = (mutex.clone(), served.clone());
        move || {
            // Once a coroutine holds the lock: then say so, and wait for it.
            go_rx.recv().unwrap();
            waiting.send(true).unwrap();
            let _guard = mutex.lock().unwrap();
            served.store(true, Ordering::SeqCst);
        }
    });
    let calls = (0..CALLS).map(|call| {
        let (mutex, served, rounds) = (mutex.clone(), served.clone(), rounds.clone());
        let (go_tx, mut is_waiting) = (go_tx.clone(), is_waiting.clone());
        async_def(move || {
            if call == 0 {
                // The first holder keeps the lock until the thread is about to wait for it.
                let _guard = mutex.lock().unwrap();
                go_tx.send(()).unwrap();
                awaitlet!(is_waiting.wait_for(|waiting| *waiting)).unwrap();
            }
            while !served.load(Ordering::SeqCst) && rounds.load(Ordering::SeqCst) < MAX_ROUNDS {
                let _guard = mutex.lock().unwrap();
                rounds.fetch_add(1, Ordering::SeqCst);
                awaitlet!(tokio::task::yield_now());
            }
        })
    });
    current_thread().block_on(join_all(calls));
    assert!(
        served.load(Ordering::SeqCst),
        "the plain thread never got the lock in {MAX_ROUNDS} rounds of the coroutines"
    );
    waiter.join().unwrap();
}

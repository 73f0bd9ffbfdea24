//! `awaitlet::sync` and cancellation: dropping a suspended `AsyncDef` unwinds its stack, and a
//! guard on it releases the lock without poisoning it (a timed-out call is not a broken
//! invariant), whether the drop is by hand, during a panic, of a nested call, or the abort of an
//! `#[async_def(send)]` call on a pool thread. A cancelled waiter gives up its place in line.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;

use awaitlet::sync::{Mutex, RwLock, TryLockError};
use awaitlet::{async_def, awaitlet};
use futures::executor::block_on;

use common::{DropLog, SendDropCounter, pending_forever, poll_once, yield_now};

/// A coroutine that takes the lock, updates the data and stays suspended with the guard.
fn holder(mutex: &Rc<Mutex<u32>>, log: &DropLog) -> awaitlet::AsyncDef<()> {
    let (mutex, log) = (Rc::clone(mutex), log.clone());
    async_def(move || {
        let mut data = mutex.lock().unwrap();
        *data += 1;
        awaitlet!(pending_forever(&log, "awaited"));
    })
}

#[test]
fn a_cancelled_holder_releases_the_mutex_unpoisoned() {
    let mutex = Rc::new(Mutex::new(0));
    let log = DropLog::new();
    let mut call = Box::pin(holder(&mutex, &log));
    assert!(poll_once(call.as_mut()).is_pending());
    assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
    drop(call);
    assert_eq!(log.entries(), ["awaited"]);
    assert!(!mutex.is_poisoned());
    // Usable by a plain caller and by the next coroutine, which finds the update.
    assert_eq!(*mutex.try_lock().unwrap(), 1);
    block_on(holder_then_done(&mutex));
    assert_eq!(*mutex.lock().unwrap(), 2);
}

fn holder_then_done(mutex: &Rc<Mutex<u32>>) -> awaitlet::AsyncDef<()> {
    let mutex = Rc::clone(mutex);
    async_def(move || {
        let mut data = mutex.lock().unwrap();
        awaitlet!(yield_now());
        *data += 1;
    })
}

#[test]
fn a_waiter_gets_the_mutex_when_its_holder_is_cancelled() {
    let mutex = Rc::new(Mutex::new(0));
    let log = DropLog::new();
    let mut call = Box::pin(holder(&mutex, &log));
    assert!(poll_once(call.as_mut()).is_pending());
    let mut waiter = pin!(holder_then_done(&mutex));
    assert!(poll_once(waiter.as_mut()).is_pending()); // waiting for the lock
    drop(call);
    assert!(!mutex.is_poisoned());
    block_on(waiter);
    assert_eq!(*mutex.lock().unwrap(), 2);
}

#[test]
fn a_cancelled_waiter_gives_up_its_place() {
    let mutex = Rc::new(Mutex::new(0));
    let mut first = pin!(holder_then_done(&mutex));
    assert!(poll_once(first.as_mut()).is_pending()); // holds it, suspended
    let mut cancelled = Box::pin(holder_then_done(&mutex));
    assert!(poll_once(cancelled.as_mut()).is_pending()); // waits for it
    let mut third = pin!(holder_then_done(&mutex));
    assert!(poll_once(third.as_mut()).is_pending()); // waits behind it
    drop(cancelled);
    block_on(async {
        first.await;
        third.await;
    });
    assert!(!mutex.is_poisoned());
    assert_eq!(*mutex.lock().unwrap(), 2);
}

#[test]
fn a_waiter_cancelled_after_it_was_handed_the_lock_passes_it_on() {
    let mutex = Rc::new(Mutex::new(0));
    let mut first = pin!(holder_then_done(&mutex));
    assert!(poll_once(first.as_mut()).is_pending()); // holds it, suspended
    let mut notified = Box::pin(holder_then_done(&mutex));
    assert!(poll_once(notified.as_mut()).is_pending()); // first in line
    let mut third = pin!(holder_then_done(&mutex));
    assert!(poll_once(third.as_mut()).is_pending()); // second in line
    // The holder finishes and wakes the first in line, which is dropped before it runs: the
    // wake-up goes to the next one, which otherwise would wait forever (here: fail the bound).
    assert!(poll_once(first.as_mut()).is_ready());
    drop(notified);
    common::run_noop(third, 10);
    assert!(!mutex.is_poisoned());
    assert_eq!(*mutex.lock().unwrap(), 2);
}

#[test]
fn a_holder_cancelled_during_a_panic_does_not_poison() {
    let mutex = Rc::new(Mutex::new(0));
    let log = DropLog::new();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        let mut call = Box::pin(holder(&mutex, &log));
        assert!(poll_once(call.as_mut()).is_pending());
        panic!("the task failed elsewhere");
    }))
    .unwrap_err();
    assert_eq!(
        common::panic_message(&*payload),
        "the task failed elsewhere"
    );
    assert_eq!(log.entries(), ["awaited"]);
    assert!(!mutex.is_poisoned());
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

#[test]
fn a_nested_holder_cancelled_with_its_parent_does_not_poison() {
    let mutex = Rc::new(Mutex::new(0));
    let lock = Rc::new(RwLock::new(0));
    let log = DropLog::new();
    let parent = async_def({
        let (mutex, lock, log) = (Rc::clone(&mutex), Rc::clone(&lock), log.clone());
        move || {
            let _outer = mutex.lock().unwrap();
            // The nested call write-locks the other lock and stays suspended with it.
            awaitlet!(async_def(move || {
                let mut data = lock.write().unwrap();
                *data += 1;
                awaitlet!(pending_forever(&log, "awaited"));
            }));
        }
    });
    let mut parent = Box::pin(parent);
    assert!(poll_once(parent.as_mut()).is_pending());
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    drop(parent);
    assert_eq!(log.entries(), ["awaited"]);
    assert!(!mutex.is_poisoned() && !lock.is_poisoned());
    assert_eq!(*mutex.try_lock().unwrap(), 0);
    assert_eq!(*lock.try_read().unwrap(), 1);
}

#[test]
fn a_cancelled_rwlock_writer_releases_it_unpoisoned() {
    let lock = Rc::new(RwLock::new(0));
    let log = DropLog::new();
    let mut writer = Box::pin(async_def({
        let (lock, log) = (Rc::clone(&lock), log.clone());
        move || {
            let mut data = lock.write().unwrap();
            *data = 5;
            awaitlet!(pending_forever(&log, "awaited"));
        }
    }));
    assert!(poll_once(writer.as_mut()).is_pending());
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    drop(writer);
    assert!(!lock.is_poisoned());
    assert_eq!(*lock.try_write().unwrap(), 5);
}

#[awaitlet::async_def(send)]
fn hold_forever(
    mutex: Arc<Mutex<u32>>,
    held: tokio::sync::oneshot::Sender<()>,
    counter: SendDropCounter,
) {
    let mut data = mutex.lock().unwrap();
    *data += 1;
    // Declared after the guard, so dropped before the lock is released.
    let _value = counter.value();
    held.send(()).unwrap();
    awaitlet!(std::future::pending::<()>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_send_call_releases_the_mutex_unpoisoned() {
    let mutex = Arc::new(Mutex::new(0));
    let counter = SendDropCounter::new();
    let (held_tx, held_rx) = tokio::sync::oneshot::channel();
    let call = tokio::spawn(hold_forever(Arc::clone(&mutex), held_tx, counter.clone()));
    held_rx.await.unwrap();
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    // The coroutine unwinds on its pool thread after the abort: a blocking `lock` from a plain
    // thread waits for exactly that release.
    let mutex_on_thread = Arc::clone(&mutex);
    let (value, poisoned) = tokio::task::spawn_blocking(move || {
        let value = *mutex_on_thread.lock().unwrap();
        (value, mutex_on_thread.is_poisoned())
    })
    .await
    .unwrap();
    assert_eq!((value, poisoned), (1, false));
    assert_eq!(counter.dropped(), 1);
}

//! `awaitlet::sync` poisoning: a panic while a `MutexGuard` or `RwLockWriteGuard` is held poisons
//! the lock, as `std::sync` does, whether the panic starts in the sync code or in a future it
//! awaits, on a coroutine or a plain thread; the payload still reaches the awaiter; the
//! `PoisonError` hands out the guard and the data; `clear_poison` ends it.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use awaitlet::sync::{Mutex, PoisonError, RwLock, TryLockError};
use awaitlet::{async_def, awaitlet};
use futures::executor::block_on;

use common::{panic_message, yield_now};

#[test]
fn a_panic_in_a_coroutine_holding_the_guard_poisons_the_mutex() {
    let mutex = Rc::new(Mutex::new(vec![1]));
    let call = async_def({
        let mutex = Rc::clone(&mutex);
        move || {
            let mut data = mutex.lock().unwrap();
            data.push(2);
            awaitlet!(yield_now());
            panic!("half-way through the update");
        }
    });
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(call))).unwrap_err();
    assert_eq!(panic_message(&*payload), "half-way through the update");
    assert!(mutex.is_poisoned());

    let error = mutex.lock().unwrap_err();
    assert_eq!(
        error.to_string(),
        "poisoned lock: another task failed inside"
    );
    // The guard is inside, and the lock held through it.
    let guard = error.into_inner();
    assert_eq!(*guard, [1, 2]);
    assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
    drop(guard);
    match mutex.try_lock() {
        Err(TryLockError::Poisoned(poisoned)) => assert_eq!(*poisoned.into_inner(), [1, 2]),
        other => panic!("expected `Poisoned`, got {other:?}"),
    }
    let mutex = Rc::into_inner(mutex).unwrap();
    assert_eq!(mutex.into_inner().unwrap_err().into_inner(), [1, 2]);
}

#[test]
fn a_panic_in_an_awaited_future_poisons_the_mutex_it_unwinds_through() {
    let mutex = Rc::new(Mutex::new(0));
    let call = async_def({
        let mutex = Rc::clone(&mutex);
        move || {
            let _guard = mutex.lock().unwrap();
            awaitlet!(async {
                yield_now().await;
                panic!("the I/O failed");
            })
        }
    });
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(call))).unwrap_err();
    assert_eq!(panic_message(&*payload), "the I/O failed");
    assert!(mutex.is_poisoned());
}

#[test]
fn a_panic_caught_inside_the_critical_section_does_not_poison() {
    let mutex = Rc::new(Mutex::new(0));
    let call = async_def({
        let mutex = Rc::clone(&mutex);
        move || {
            let mut guard = mutex.lock().unwrap();
            let caught = catch_unwind(|| panic!("recovered"));
            assert!(caught.is_err());
            *guard = 1;
        }
    });
    block_on(call);
    assert!(!mutex.is_poisoned());
    assert_eq!(*mutex.lock().unwrap(), 1);
}

#[test]
fn a_plain_thread_poisons_it_as_std_does_and_clear_poison_ends_it() {
    let mutex = Arc::new(Mutex::new(10));
    let thread = std::thread::spawn({
        let mutex = Arc::clone(&mutex);
        move || {
            let mut guard = mutex.lock().unwrap();
            *guard = 11;
            panic!("thread failed");
        }
    });
    assert_eq!(panic_message(&*thread.join().unwrap_err()), "thread failed");
    // A coroutine sees the poison too, and can take the data anyway.
    let value = block_on(async_def({
        let mutex = Arc::clone(&mutex);
        move || *mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }));
    assert_eq!(value, 11);
    mutex.clear_poison();
    assert!(!mutex.is_poisoned());
    assert_eq!(*mutex.lock().unwrap(), 11);
    let mut mutex = Arc::into_inner(mutex).unwrap();
    *mutex.get_mut().unwrap() += 1;
    assert_eq!(mutex.into_inner().unwrap(), 12);
}

#[test]
fn only_a_panicking_writer_poisons_a_rwlock() {
    let lock = Rc::new(RwLock::new(String::from("a")));
    let reader = async_def({
        let lock = Rc::clone(&lock);
        move || {
            let _data = lock.read().unwrap();
            awaitlet!(yield_now());
            panic!("reader failed");
        }
    });
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(reader))).unwrap_err();
    assert_eq!(panic_message(&*payload), "reader failed");
    assert!(!lock.is_poisoned());

    let writer = async_def({
        let lock = Rc::clone(&lock);
        move || {
            let mut data = lock.write().unwrap();
            data.push('b');
            awaitlet!(yield_now());
            panic!("writer failed");
        }
    });
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(writer))).unwrap_err();
    assert_eq!(panic_message(&*payload), "writer failed");
    assert!(lock.is_poisoned());
    assert_eq!(*lock.read().unwrap_err().into_inner(), "ab");
    assert_eq!(*lock.write().unwrap_err().into_inner(), "ab");
    assert!(matches!(lock.try_read(), Err(TryLockError::Poisoned(_))));
    assert!(matches!(lock.try_write(), Err(TryLockError::Poisoned(_))));
    let mut lock = Rc::into_inner(lock).unwrap();
    assert_eq!(lock.get_mut().unwrap_err().into_inner(), "ab");
    lock.clear_poison();
    assert_eq!(lock.into_inner().unwrap(), "ab");
}

//! `awaitlet::sync::RwLock`: readers hold it together across suspensions, a writer alone; waiting
//! coroutines suspend, plain threads block, and both contend for one lock with exact totals; a
//! waiting writer keeps new readers out, so readers cannot starve it.

mod common;

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;

use awaitlet::sync::{RwLock, TryLockError};
use awaitlet::{async_def, awaitlet};
use futures::executor::block_on;
use futures::future::join_all;

use common::{poll_once, yield_now};

/// Who is inside the lock right now, checked on every entry.
#[derive(Default)]
struct Inside {
    readers: Cell<usize>,
    writers: Cell<usize>,
    most_readers: Cell<usize>,
}

impl Inside {
    fn read(&self) {
        assert_eq!(self.writers.get(), 0, "a reader beside a writer");
        self.readers.set(self.readers.get() + 1);
        self.most_readers
            .set(self.most_readers.get().max(self.readers.get()));
    }

    fn write(&self) {
        assert_eq!(self.readers.get(), 0, "a writer beside a reader");
        assert_eq!(self.writers.get(), 0, "two writers");
        self.writers.set(1);
    }
}

#[test]
fn readers_hold_it_together_across_suspensions() {
    const READERS: usize = 20;
    let lock = Rc::new(RwLock::new(7));
    let inside = Rc::new(Inside::default());
    let readers = (0..READERS).map(|_| {
        let (lock, inside) = (Rc::clone(&lock), Rc::clone(&inside));
        async_def(move || {
            let value = lock.read().unwrap();
            inside.read();
            awaitlet!(yield_now());
            awaitlet!(yield_now());
            inside.readers.set(inside.readers.get() - 1);
            *value
        })
    });
    assert_eq!(block_on(join_all(readers)), [7; READERS]);
    assert_eq!(inside.most_readers.get(), READERS);
}

#[test]
fn writers_are_alone_and_readers_see_whole_updates() {
    const WRITERS: usize = 10;
    const READERS: usize = 10;
    const ROUNDS: usize = 20;
    // Two halves that a writer updates one at a time, suspended in between.
    let lock = Rc::new(RwLock::new((0_usize, 0_usize)));
    let inside = Rc::new(Inside::default());
    let writers = (0..WRITERS).map(|_| {
        let (lock, inside) = (Rc::clone(&lock), Rc::clone(&inside));
        async_def(move || {
            for _ in 0..ROUNDS {
                let mut pair = lock.write().unwrap();
                inside.write();
                pair.0 += 1;
                awaitlet!(yield_now());
                pair.1 += 1;
                inside.writers.set(0);
            }
        })
    });
    let readers = (0..READERS).map(|_| {
        let (lock, inside) = (Rc::clone(&lock), Rc::clone(&inside));
        async_def(move || {
            for _ in 0..ROUNDS {
                let pair = lock.read().unwrap();
                inside.read();
                assert_eq!(pair.0, pair.1, "a reader saw half an update");
                awaitlet!(yield_now());
                inside.readers.set(inside.readers.get() - 1);
            }
        })
    });
    block_on(futures::future::join(join_all(writers), join_all(readers)));
    assert_eq!(*lock.read().unwrap(), (WRITERS * ROUNDS, WRITERS * ROUNDS));
    assert!(inside.most_readers.get() > 1, "readers never overlapped");
}

#[test]
fn coroutines_and_plain_threads_contend_for_one_rwlock() {
    const THREADS: usize = 2;
    const THREAD_ROUNDS: usize = 300;
    const CALLS: usize = 10;
    const CALL_ROUNDS: usize = 30;
    let lock = Arc::new(RwLock::new((0_usize, 0_usize)));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let lock = Arc::clone(&lock);
            std::thread::spawn(move || {
                for _ in 0..THREAD_ROUNDS {
                    let mut pair = lock.write().unwrap();
                    pair.0 += 1;
                    std::thread::yield_now();
                    pair.1 += 1;
                    drop(pair);
                    let pair = lock.read().unwrap();
                    assert_eq!(pair.0, pair.1, "a thread saw half an update");
                }
            })
        })
        .collect();
    let calls = (0..CALLS).map(|_| {
        let lock = Arc::clone(&lock);
        async_def(move || {
            for _ in 0..CALL_ROUNDS {
                let pair = lock.read().unwrap();
                assert_eq!(pair.0, pair.1, "a coroutine saw half an update");
                awaitlet!(tokio::task::yield_now());
                drop(pair);
                let mut pair = lock.write().unwrap();
                pair.0 += 1;
                awaitlet!(tokio::task::yield_now());
                pair.1 += 1;
            }
        })
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(join_all(calls));
    for thread in threads {
        thread.join().unwrap();
    }
    let total = THREADS * THREAD_ROUNDS + CALLS * CALL_ROUNDS;
    assert_eq!(*lock.read().unwrap(), (total, total));
}

#[test]
fn a_waiting_writer_keeps_new_readers_out() {
    let lock = Rc::new(RwLock::new(0));
    let reader = |lock: &Rc<RwLock<i32>>| {
        let lock = Rc::clone(lock);
        async_def(move || {
            let value = lock.read().unwrap();
            awaitlet!(yield_now());
            *value
        })
    };
    let mut first = pin!(reader(&lock));
    assert!(poll_once(first.as_mut()).is_pending()); // reading, suspended
    assert!(lock.try_read().is_ok()); // readers share it...
    let mut writer = pin!(async_def({
        let lock = Rc::clone(&lock);
        move || *lock.write().unwrap() = 1
    }));
    assert!(poll_once(writer.as_mut()).is_pending()); // waits for the reader
    // ...until a writer waits: then a new reader waits behind it, and sees its write.
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    let mut second = pin!(reader(&lock));
    assert!(poll_once(second.as_mut()).is_pending());
    let (first, (), second) = block_on(async { futures::join!(first, writer, second) });
    assert_eq!((first, second), (0, 1));
}

#[test]
fn try_write_and_try_read_never_wait() {
    let lock = RwLock::new(String::from("x"));
    let read = lock.try_read().unwrap();
    assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
    drop(read);
    let mut write = lock.try_write().unwrap();
    write.push('y');
    assert!(matches!(lock.try_read(), Err(TryLockError::WouldBlock)));
    assert!(matches!(lock.try_write(), Err(TryLockError::WouldBlock)));
    drop(write);
    assert_eq!(*lock.try_read().unwrap(), "xy");
}

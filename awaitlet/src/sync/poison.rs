//! Poisoning, as `std::sync` does it, for both locks: a flag per lock, set when a guard that
//! gives write access is dropped by a panic, with one exception: the unwinding of a cancelled
//! coroutine.
//!
//! A panic in the middle of a critical section may leave the data half-updated, so the next
//! holder is told (`Err(PoisonError)`) and decides. A cancellation is different: the `AsyncDef` was
//! dropped while suspended in an `awaitlet!` (a timeout, a `select!`, an aborted request), and the
//! unwinding that runs its destructors is not a broken invariant of the code that held the lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
use std::thread;

use crate::context;

/// Whether a lock is poisoned.
///
/// `Relaxed` is enough: the flag is written before the lock is released (see [`Section`]) and
/// read after it is acquired, so the lock's own acquire and release order it.
#[derive(Debug)]
pub(crate) struct Flag(AtomicBool);

impl Flag {
    pub(crate) const fn new() -> Self {
        Flag(AtomicBool::new(false))
    }

    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn clear(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    /// Starts a critical section that poisons this flag if a panic ends it.
    pub(crate) fn enter(&self) -> Section<'_> {
        Section {
            flag: self,
            // A guard taken while the thread is already unwinding (in a destructor) cannot be
            // ended by that same unwinding's panic: it never poisons, as in std.
            panicking: thread::panicking(),
        }
    }

    /// What a `lock`, `read` or `write` returns: `guard`, or `guard` inside a `PoisonError`.
    pub(crate) fn check<G>(&self, guard: G) -> LockResult<G> {
        if self.get() {
            Err(PoisonError::new(guard))
        } else {
            Ok(guard)
        }
    }

    /// What a `try_lock`, `try_read` or `try_write` returns, from the guard it could take, if any.
    pub(crate) fn check_try<G>(&self, guard: Option<G>) -> TryLockResult<G> {
        match guard {
            Some(guard) => Ok(self.check(guard)?),
            None => Err(TryLockError::WouldBlock),
        }
    }
}

/// Held by each guard with write access, and dropped before that guard releases the lock, so a
/// poisoned flag is visible to whoever takes the lock next.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    flag: &'a Flag,
    panicking: bool,
}

impl Drop for Section<'_> {
    fn drop(&mut self) {
        if !self.panicking && thread::panicking() && !context::cancelling() {
            self.flag.0.store(true, Ordering::Relaxed);
        }
    }
}

//! [`Mutex`]: `std::sync::Mutex`'s API over `async_lock::Mutex`.

use core::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{LockResult, TryLockResult};

use super::acquire;
use super::poison::{Flag, Section};

/// A mutual-exclusion lock with `std::sync::Mutex`'s API, whose `lock` suspends a coroutine
/// instead of blocking its thread.
///
/// In an `async_def` coroutine a contended [`lock`](Mutex::lock) suspends the coroutine through
/// [`awaitlet!`](crate::awaitlet!), so the other calls on the thread (the holder among them) go on;
/// anywhere else it blocks the thread. Both kinds of caller contend for the same lock. See the
/// [module docs](crate::sync) for fairness, poisoning and what a cancellation does.
///
/// ```
/// use std::sync::Arc;
///
/// use awaitlet::sync::Mutex;
///
/// let counter = Arc::new(Mutex::new(0));
/// // A plain thread: `lock` blocks, as `std::sync::Mutex::lock` does.
/// let thread = std::thread::spawn({
///     let counter = Arc::clone(&counter);
///     move || *counter.lock().unwrap() += 1
/// });
/// // A coroutine: `lock` suspends it while the thread holds the lock.
/// futures::executor::block_on(awaitlet::async_def({
///     let counter = Arc::clone(&counter);
///     move || *counter.lock().unwrap() += 1
/// }));
/// thread.join().unwrap();
/// assert_eq!(*counter.lock().unwrap(), 2);
/// ```
pub struct Mutex<T: ?Sized> {
    poison: Flag,
    inner: async_lock::Mutex<T>,
}

/// The guard of a locked [`Mutex`]: the data through `Deref` and `DerefMut`, and the lock
/// released when it is dropped.
///
/// Dropped by a panic, it poisons the mutex first; dropped by the cancellation of the coroutine
/// that holds it, it does not (see the [module docs](crate::sync)).
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    // Dropped first: the flag is poisoned, if it must be, before the lock is released.
    _section: Section<'a>,
    inner: async_lock::MutexGuard<'a, T>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    ///
    /// ```
    /// static COUNTER: awaitlet::sync::Mutex<u32> = awaitlet::sync::Mutex::new(0);
    /// *COUNTER.lock().unwrap() += 1;
    /// assert_eq!(*COUNTER.lock().unwrap(), 1);
    /// ```
    pub const fn new(value: T) -> Self {
        Mutex {
            poison: Flag::new(),
            inner: async_lock::Mutex::new(value),
        }
    }

    /// Consumes the mutex and returns its data; `Err` with the data inside if it is poisoned.
    ///
    /// ```
    /// let mutex = awaitlet::sync::Mutex::new(String::from("data"));
    /// assert_eq!(mutex.into_inner().unwrap(), "data");
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        let Mutex { poison, inner } = self;
        poison.check(inner.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex: suspends the coroutine while it is held elsewhere, or blocks the thread
    /// where a coroutine cannot suspend (see the [module docs](crate::sync)).
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned (a holder panicked), `Err` with the guard inside: the lock is held
    /// either way, and [`PoisonError::into_inner`](std::sync::PoisonError::into_inner) gives the
    /// guard.
    ///
    /// ```
    /// use awaitlet::{async_def, awaitlet, sync::Mutex};
    /// use std::rc::Rc;
    ///
    /// let log = Rc::new(Mutex::new(Vec::new()));
    /// let call = |name: &'static str| {
    ///     let log = Rc::clone(&log);
    ///     async_def(move || {
    ///         let mut log = log.lock().unwrap();
    ///         log.push(format!("{name} start"));
    ///         awaitlet!(tokio::task::yield_now()); // holds the lock while suspended
    ///         log.push(format!("{name} end"));
    ///     })
    /// };
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// runtime.block_on(async { futures::join!(call("a"), call("b")) });
    /// let log = log.lock().unwrap();
    /// assert_eq!(*log, ["a start", "a end", "b start", "b end"]);
    /// ```
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        // Uncontended, neither suspend nor block: not even an `awaitlet!` call (which would count
        // towards `assert_await_occurs`) is made.
        let inner = match self.inner.try_lock() {
            Some(inner) => inner,
            None => acquire(self.inner.lock(), || self.inner.lock_blocking()),
        };
        self.poison.check(self.guard(inner))
    }

    /// Acquires the mutex if it is free now; never suspends or blocks.
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`](std::sync::TryLockError::WouldBlock) if it is held;
    /// [`TryLockError::Poisoned`](std::sync::TryLockError::Poisoned), with the guard inside, if it
    /// was free but is poisoned.
    ///
    /// ```
    /// use awaitlet::sync::{Mutex, TryLockError};
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.lock().unwrap();
    /// assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        self.poison
            .check_try(self.inner.try_lock().map(|inner| self.guard(inner)))
    }

    /// Whether a panic while the lock was held poisoned it.
    pub fn is_poisoned(&self) -> bool {
        self.poison.get()
    }

    /// Clears the poison, once the data is known to be consistent again.
    ///
    /// ```
    /// use awaitlet::sync::Mutex;
    ///
    /// let mutex = Mutex::new(0);
    /// let _ = std::panic::catch_unwind(|| {
    ///     let _guard = mutex.lock().unwrap();
    ///     panic!("half-way through an update");
    /// });
    /// assert!(mutex.is_poisoned());
    /// *mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = 0; // repaired
    /// mutex.clear_poison();
    /// assert!(!mutex.is_poisoned());
    /// assert_eq!(*mutex.lock().unwrap(), 0);
    /// ```
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// A mutable reference to the data, with no locking: the `&mut self` proves nobody holds it.
    ///
    /// # Errors
    ///
    /// If the mutex is poisoned, `Err` with the reference inside.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let data = self.inner.get_mut();
        self.poison.check(data)
    }

    fn guard<'a>(&'a self, inner: async_lock::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            _section: self.poison.enter(),
            inner,
        }
    }
}

// As `std::sync::Mutex`: a panic that unwinds through a critical section poisons the lock, so
// the data behind a `&Mutex` is never observed broken unawares.
impl<T: ?Sized> UnwindSafe for Mutex<T> {}
impl<T: ?Sized> RefUnwindSafe for Mutex<T> {}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// As `std::sync::Mutex`'s: the data if the lock is free, `<locked>` if not, and the poison.
impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.inner.try_lock() {
            Some(data) => d.field("data", &&*data),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.poison.get());
        d.finish_non_exhaustive()
    }
}

guard_traits!(MutexGuard, mut);

#[cfg(test)]
mod tests {
    use std::sync::TryLockError;

    use super::*;

    #[test]
    fn debug_shows_the_data_or_that_it_is_locked() {
        let mutex = Mutex::new(7);
        assert_eq!(
            format!("{mutex:?}"),
            "Mutex { data: 7, poisoned: false, .. }"
        );
        let guard = mutex.lock().unwrap();
        assert_eq!(
            format!("{mutex:?}"),
            "Mutex { data: <locked>, poisoned: false, .. }"
        );
        assert_eq!(
            (format!("{guard:?}"), format!("{guard}")),
            ("7".into(), "7".into())
        );
    }

    #[test]
    fn try_lock_on_a_poisoned_free_mutex_is_poisoned_not_would_block() {
        let mutex = Mutex::new(1);
        let _ = std::panic::catch_unwind(|| {
            let _guard = mutex.lock();
            panic!("poison it");
        });
        match mutex.try_lock() {
            Err(TryLockError::Poisoned(poisoned)) => assert_eq!(*poisoned.into_inner(), 1),
            other => panic!("expected `Poisoned`, got {other:?}"),
        }
    }
}

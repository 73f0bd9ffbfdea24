//! [`RwLock`]: `std::sync::RwLock`'s API over `async_lock::RwLock`.

use core::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{LockResult, TryLockResult};

use super::acquire;
use super::poison::{Flag, Section};

/// A reader-writer lock with `std::sync::RwLock`'s API, whose `read` and `write` suspend a
/// coroutine instead of blocking its thread.
///
/// Any number of readers, or one writer, hold it at a time. In an `async_def` coroutine a
/// contended [`read`](RwLock::read) or [`write`](RwLock::write) suspends the coroutine through
/// [`awaitlet!`](crate::awaitlet!); anywhere else it blocks the thread. It prefers writers: once
/// a writer waits, new readers wait behind it, so a stream of readers cannot starve it. As in
/// `std`, only a panic while *writing* poisons it, and poison makes `read` and `write` return
/// `Err`; a cancellation never poisons (see the [module docs](crate::sync)).
///
/// ```
/// use std::rc::Rc;
///
/// use awaitlet::sync::RwLock;
/// use awaitlet::{async_def, awaitlet};
///
/// let config = Rc::new(RwLock::new(String::from("v1")));
/// let reader = {
///     let config = Rc::clone(&config);
///     async_def(move || {
///         let config = config.read().unwrap();
///         awaitlet!(tokio::task::yield_now()); // readers hold it together across the I/O
///         config.clone()
///     })
/// };
/// let writer = {
///     let config = Rc::clone(&config);
///     async_def(move || *config.write().unwrap() = String::from("v2"))
/// };
/// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let (read, ()) = runtime.block_on(async { futures::join!(reader, writer) });
/// // The writer waited for the reader to finish.
/// assert_eq!(read, "v1");
/// assert_eq!(*config.read().unwrap(), "v2");
/// ```
pub struct RwLock<T: ?Sized> {
    poison: Flag,
    inner: async_lock::RwLock<T>,
}

/// The guard of a read-locked [`RwLock`]: shared access through `Deref`, and the read lock
/// released when it is dropped. A reader cannot break the data, so it never poisons the lock.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    inner: async_lock::RwLockReadGuard<'a, T>,
}

/// The guard of a write-locked [`RwLock`]: exclusive access through `Deref` and `DerefMut`, and
/// the lock released when it is dropped. Dropped by a panic, it poisons the lock first; dropped by
/// a cancellation, it does not.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    // Dropped first: the flag is poisoned, if it must be, before the lock is released.
    _section: Section<'a>,
    inner: async_lock::RwLockWriteGuard<'a, T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    ///
    /// ```
    /// static LIMITS: awaitlet::sync::RwLock<[u32; 2]> = awaitlet::sync::RwLock::new([1, 10]);
    /// assert_eq!(LIMITS.read().unwrap()[1], 10);
    /// ```
    pub const fn new(value: T) -> Self {
        RwLock {
            poison: Flag::new(),
            inner: async_lock::RwLock::new(value),
        }
    }

    /// Consumes the lock and returns its data; `Err` with the data inside if it is poisoned.
    pub fn into_inner(self) -> LockResult<T> {
        let RwLock { poison, inner } = self;
        poison.check(inner.into_inner())
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquires shared access: suspends the coroutine while a writer holds the lock or waits for
    /// it, or blocks the thread where a coroutine cannot suspend.
    ///
    /// # Errors
    ///
    /// If the lock is poisoned, `Err` with the guard inside (the read lock is held either way).
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        // Uncontended, no `awaitlet!` call at all (see `Mutex::lock`).
        let inner = match self.inner.try_read() {
            Some(inner) => inner,
            None => acquire(self.inner.read(), || self.inner.read_blocking()),
        };
        self.poison.check(RwLockReadGuard { inner })
    }

    /// Acquires exclusive access: suspends the coroutine while the lock is held, or blocks the
    /// thread where a coroutine cannot suspend.
    ///
    /// # Errors
    ///
    /// If the lock is poisoned, `Err` with the guard inside (the write lock is held either way).
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let inner = match self.inner.try_write() {
            Some(inner) => inner,
            None => acquire(self.inner.write(), || self.inner.write_blocking()),
        };
        self.poison.check(self.write_guard(inner))
    }

    /// Acquires shared access if it can be had now; never suspends or blocks.
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`](std::sync::TryLockError::WouldBlock) if a writer holds it or
    /// waits for it; `Poisoned`, with the guard inside, if it could be had but is poisoned.
    ///
    /// ```
    /// let lock = awaitlet::sync::RwLock::new(1);
    /// let first = lock.try_read().unwrap();
    /// let second = lock.try_read().unwrap(); // readers share it
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*first + *second, 2);
    /// ```
    pub fn try_read(&self) -> TryLockResult<RwLockReadGuard<'_, T>> {
        self.poison
            .check_try(self.inner.try_read().map(|inner| RwLockReadGuard { inner }))
    }

    /// Acquires exclusive access if it can be had now; never suspends or blocks.
    ///
    /// # Errors
    ///
    /// [`TryLockError::WouldBlock`](std::sync::TryLockError::WouldBlock) if anyone holds it;
    /// `Poisoned`, with the guard inside, if it was free but is poisoned.
    pub fn try_write(&self) -> TryLockResult<RwLockWriteGuard<'_, T>> {
        self.poison
            .check_try(self.inner.try_write().map(|inner| self.write_guard(inner)))
    }

    /// Whether a panic while the lock was held for writing poisoned it.
    pub fn is_poisoned(&self) -> bool {
        self.poison.get()
    }

    /// Clears the poison, once the data is known to be consistent again.
    pub fn clear_poison(&self) {
        self.poison.clear();
    }

    /// A mutable reference to the data, with no locking: the `&mut self` proves nobody holds it.
    ///
    /// # Errors
    ///
    /// If the lock is poisoned, `Err` with the reference inside.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        let data = self.inner.get_mut();
        self.poison.check(data)
    }

    fn write_guard<'a>(
        &'a self,
        inner: async_lock::RwLockWriteGuard<'a, T>,
    ) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            _section: self.poison.enter(),
            inner,
        }
    }
}

// As `std::sync::RwLock`: a panic that unwinds through a write poisons the lock.
impl<T: ?Sized> UnwindSafe for RwLock<T> {}
impl<T: ?Sized> RefUnwindSafe for RwLock<T> {}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

/// As `std::sync::RwLock`'s: the data if it can be read now, `<locked>` if not, and the poison.
impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.inner.try_read() {
            Some(data) => d.field("data", &&*data),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.field("poisoned", &self.poison.get());
        d.finish_non_exhaustive()
    }
}

guard_traits!(RwLockReadGuard);
guard_traits!(RwLockWriteGuard, mut);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_data_or_that_it_is_locked() {
        let lock = RwLock::new("x");
        assert_eq!(
            format!("{lock:?}"),
            r#"RwLock { data: "x", poisoned: false, .. }"#
        );
        let read = lock.read().unwrap();
        assert_eq!(
            format!("{lock:?}"),
            r#"RwLock { data: "x", poisoned: false, .. }"#
        );
        assert_eq!(
            (format!("{read:?}"), format!("{read}")),
            (r#""x""#.into(), "x".into())
        );
        drop(read);
        let write = lock.write().unwrap();
        assert_eq!(
            format!("{lock:?}"),
            "RwLock { data: <locked>, poisoned: false, .. }"
        );
        assert_eq!(
            (format!("{write:?}"), format!("{write}")),
            (r#""x""#.into(), "x".into())
        );
    }

    #[test]
    fn a_panicking_reader_does_not_poison_a_panicking_writer_does() {
        let lock = RwLock::new(0);
        let _ = std::panic::catch_unwind(|| {
            let _read = lock.read().unwrap();
            panic!("reader");
        });
        assert!(!lock.is_poisoned());
        let _ = std::panic::catch_unwind(|| {
            let _write = lock.write().unwrap();
            panic!("writer");
        });
        assert!(lock.is_poisoned());
        assert!(lock.read().is_err());
        lock.clear_poison();
        assert_eq!(*lock.read().unwrap(), 0);
    }
}

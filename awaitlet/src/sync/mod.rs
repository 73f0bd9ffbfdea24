//! Locks with `std::sync`'s API that suspend a coroutine instead of blocking its thread (feature
//! `sync`, on by default).
//!
//! Concurrent `async_def` calls share their thread: they interleave at every `awaitlet!`. A
//! `std::sync::Mutex` held across an `awaitlet!` is therefore held while the other calls on that
//! thread run, and the first of them to call `lock` blocks the thread, with the holder, suspended
//! on that very thread, unable ever to release it: a silent hang. [`Mutex`] and [`RwLock`] here
//! are drop-in replacements that wait the way each caller can:
//!
//! - **in an `async_def` coroutine** ([`in_async_def`](crate::in_async_def) is `true`), a
//!   contended lock suspends the coroutine through [`awaitlet!`](crate::awaitlet!): the other calls
//!   on the thread run, the holder among them, and the waiter resumes once it has the lock;
//! - **anywhere else** (a plain thread, or where `awaitlet!` cannot suspend: inside a future's
//!   `poll`, in a destructor run by an unwinding), it blocks the thread, as `std::sync` does.
//!
//! Both kinds of caller wait for the same lock, and both are served: the locks come from
//! [`async-lock`](https://docs.rs/async-lock), whose mutex hands itself over fairly to a waiter
//! that has been kept waiting for more than half a millisecond, and whose `RwLock` prefers
//! writers, so no waiter starves while others keep relocking.
//!
//! Porting a sync layer means changing one `use` line: `new`, `lock`, `try_lock`, `read`,
//! `write`, `get_mut`, `into_inner`, `is_poisoned` and `clear_poison` have `std::sync`'s
//! signatures, and the errors are `std::sync`'s own [`PoisonError`], [`TryLockError`],
//! [`LockResult`] and [`TryLockResult`] (re-exported here), so `.lock().unwrap()` and any error
//! handling compile unchanged. (`Arc` is not re-exported: `use std::sync::{Arc, Mutex};` becomes
//! `use std::sync::Arc;` and `use awaitlet::sync::Mutex;`.)
//!
//! ```
//! use std::rc::Rc;
//!
//! use awaitlet::sync::Mutex; // was: use std::sync::Mutex;
//! use awaitlet::{async_def, awaitlet};
//!
//! /// Unchanged business layer: a read-modify-write with I/O in the middle.
//! fn deposit(balance: &Mutex<u64>, amount: u64) -> u64 {
//!     let mut balance = balance.lock().unwrap();
//!     let current = *balance;
//!     awaitlet!(tokio::task::yield_now()); // the I/O: other calls on this thread run
//!     *balance = current + amount;
//!     *balance
//! }
//!
//! #[async_def]
//! fn api(balance: Rc<Mutex<u64>>, amount: u64) -> u64 {
//!     deposit(&balance, amount)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let balance = Rc::new(Mutex::new(0));
//!     let calls = (1..=10).map(|amount| api(Rc::clone(&balance), amount));
//!     futures::future::join_all(calls).await;
//!     // With `std::sync::Mutex`, the second call would have blocked the thread forever.
//!     assert_eq!(*balance.lock().unwrap(), 55);
//! }
//! ```
//!
//! # Poisoning and cancellation
//!
//! As in `std::sync`, a panic while a [`MutexGuard`] or [`RwLockWriteGuard`] is held poisons
//! the lock: later `lock`s return `Err(PoisonError)`, whose [`PoisonError::into_inner`] still
//! hands out the guard, and [`Mutex::clear_poison`] ends it. A cancellation does not poison: when
//! a suspended [`AsyncDef`](crate::AsyncDef) is dropped (a timeout, a `select!`, an aborted
//! `send` call), its stack is unwound and every guard on it released, and the lock is as usable
//! as after a normal return, because a cancelled call is not a broken invariant. The unwinding
//! starts at the pending `awaitlet!`, so the data is as the code left it there: code that breaks
//! an invariant across an `awaitlet!` restores it in a destructor if a cancellation must not leave
//! it broken, exactly as async code does across an `.await`.
//!
//! # What they cannot fix
//!
//! - A thread that blocks still blocks: plain code on a thread whose coroutine holds the lock
//!   (the task polling it, or a destructor during an unwinding) waits for a holder that can only
//!   run on that same thread, a deadlock as with `std::sync`. Lock from inside the coroutines.
//! - Like `std::sync`'s, the locks are not reentrant: a coroutine locking a mutex it holds waits
//!   for itself forever.
//! - [`MutexGuard`] and the `RwLock` guards are `Send` when `std`'s are not (a guard of
//!   `async-lock` may be released on any thread); nothing here relies on that.

// Why `async-lock` and not `tokio::sync`: the blocking path must work on any thread, and tokio's
// `blocking_lock` panics "within an asynchronous execution context", which is exactly where a
// call that cannot suspend may be (a runtime thread, inside a poll); `async-lock` needs no runtime,
// as awaitlet's core needs none (the `sync` feature does not pull tokio in), blocks through
// `event-listener` anywhere, and keeps waiters from starving.
/// `Deref` (and with `mut`, `DerefMut`) to the data, and `Debug` and `Display` passed through to
/// it, as std's guards have them; every guard here wraps its `async-lock` guard in `inner`.
macro_rules! guard_traits {
    ($guard:ident $(, $mutable:ident)?) => {
        impl<T: ?Sized> core::ops::Deref for $guard<'_, T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.inner
            }
        }

        $(guard_traits!(@$mutable $guard);)?

        impl<T: ?Sized + core::fmt::Debug> core::fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + core::fmt::Display> core::fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&**self, f)
            }
        }
    };
    (@mut $guard:ident) => {
        impl<T: ?Sized> core::ops::DerefMut for $guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
}

mod mutex;
mod poison;
mod rwlock;

pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

pub use self::mutex::{Mutex, MutexGuard};
pub use self::rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Waits for a contended lock the way the caller can: `wait` is the lock's future, awaited
/// through `awaitlet!` where that suspends; elsewhere `block` blocks the thread.
///
/// A refused `wait` was never polled, so it never queued for the lock and dropping it is free.
fn acquire<G>(wait: impl Future<Output = G>, block: impl FnOnce() -> G) -> G {
    match crate::try_awaitlet(wait) {
        Ok(guard) => guard,
        Err(_) => block(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Send + Sync>() {}

    #[test]
    fn the_locks_are_send_and_sync_as_std_s_are() {
        // What `Arc<Mutex<T>>` in a `#[async_def(send)]` argument needs.
        shareable::<Mutex<Vec<u8>>>();
        shareable::<RwLock<Vec<u8>>>();
        shareable::<Mutex<core::cell::Cell<u8>>>(); // `Send` data suffices for a mutex
    }
}

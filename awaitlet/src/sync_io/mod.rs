//! `std::io` over async I/O: what the two `SyncIo` front ends ([`tokio`] and [`futures_io`])
//! share.
//!
//! Every blocking call is one `try_awaitlet` of a `poll_fn` around the matching `poll_*` method
//! of the inner type. That keeps both promises of the adapters without any state of their own:
//!
//! - Outside an `async_def`, `try_awaitlet` hands the `poll_fn` back un-polled, so the inner type
//!   is never touched: nothing is read, written or sought, and nothing blocks. The refusal becomes
//!   an `io::Error` with `awaitlet!`'s message.
//! - Inside one, the future lives on the coroutine stack and borrows the caller's buffer, so a
//!   call allocates nothing, and the inner type's result, an error included, comes back as is.

use core::future::poll_fn;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};
use std::io;

use crate::try_awaitlet;

#[cfg(feature = "futures-io")]
pub(crate) mod futures_io;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

/// Polls `poll` until it is ready, suspending the coroutine while it is pending, and returns
/// its result; outside an `async_def`, an error that says why, without ever calling `poll`.
#[inline]
pub(crate) fn await_io<T>(
    poll: impl FnMut(&mut Context<'_>) -> Poll<io::Result<T>>,
) -> io::Result<T> {
    match try_awaitlet(poll_fn(poll)) {
        Ok(result) => result,
        Err(refused) => Err(not_in_async_def(&refused)),
    }
}

/// The error of a call made where `awaitlet!` cannot suspend, in `awaitlet!`'s words.
#[cold]
#[inline(never)]
fn not_in_async_def(refused: &dyn core::fmt::Display) -> io::Error {
    io::Error::other(refused.to_string())
}

/// `BufRead::fill_buf` over an async `poll_fill_buf`, which both traits declare the same way.
///
/// The slice that `poll_fill_buf` returns borrows `inner` for as long as the `Pin<&mut T>` it was
/// called on, but it is produced inside a closure that is called again after every `Pending`,
/// and a closure cannot hand out a borrow of what it captures: the compiler would have to see
/// that only the last, ready call's borrow escapes. So the slice leaves the closure as a pointer
/// and is turned back into a borrow of `inner` here.
#[inline]
pub(crate) fn fill_buf<'a, T, P>(inner: &'a mut T, mut poll_fill_buf: P) -> io::Result<&'a [u8]>
where
    T: Unpin + ?Sized,
    P: for<'b> FnMut(Pin<&'b mut T>, &mut Context<'_>) -> Poll<io::Result<&'b [u8]>>,
{
    let filled =
        await_io(|cx| poll_fill_buf(Pin::new(&mut *inner), cx).map_ok(NonNull::<[u8]>::from))?;
    // `filled` comes from the `&[u8]` that the last, ready `poll_fill_buf` returned, a borrow of
    // `*inner` (or of something `inner` borrows) that was valid for as long as `*inner` was not
    // used again. The closure that made it is gone, and nothing touches `*inner` between that call
    // and the end of `'a`, because the result holds the `&'a mut T` borrow that `inner` was.
    // SAFETY: so the slice is alive and unaliased for `'a`; only the caller's lifetime was lost on
    // the way, and this restores it.
    Ok(unsafe { filled.as_ref() })
}

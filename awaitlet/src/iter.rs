//! [`iter`]: an `Iterator` over a `Stream`, for sync code running inside an `async_def`.

use core::future::poll_fn;
use core::iter::FusedIterator;
use core::pin::Pin;

use futures_core::stream::{FusedStream, Stream};

/// Turns `stream` into a blocking [`Iterator`] for sync code inside an
/// [`async_def`](crate::async_def()): each `next` awaits the stream's next item through
/// [`awaitlet!`](crate::awaitlet!), suspending the coroutine while none is ready.
///
/// ```
/// use futures::stream;
///
/// // Unchanged blocking code that takes any iterator.
/// fn total(prices: impl Iterator<Item = u32>) -> u32 {
///     prices.sum()
/// }
///
/// let prices = stream::iter([3, 4, 5]);
/// let sum = futures::executor::block_on(awaitlet::async_def(move || total(awaitlet::iter(prices))));
/// assert_eq!(sum, 12);
/// ```
///
/// A `!Unpin` stream can be pinned first, with `Box::pin` (or `std::pin::pin!` where it is made
/// on the coroutine).
pub fn iter<S: Stream + Unpin>(stream: S) -> Iter<S> {
    Iter { stream }
}

/// The iterator made by [`iter`]: `Iterator<Item = S::Item>`.
///
/// - `size_hint` is the stream's.
/// - It is a [`FusedIterator`] when the stream is a [`FusedStream`].
/// - Outside an `async_def`, or anywhere else `awaitlet!` would panic, `next` panics with
///   `awaitlet!`'s message, without polling the stream.
#[derive(Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<S> {
    stream: S,
}

impl<S> Iter<S> {
    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl<S: Stream + Unpin> Iterator for Iter<S> {
    type Item = S::Item;

    /// Awaits the stream's next item.
    ///
    /// # Panics
    ///
    /// Where [`awaitlet!`](crate::awaitlet!) would panic, with its message: outside an
    /// `async_def`, inside the `poll` of a future it awaits, or while unwinding.
    #[inline]
    #[track_caller]
    fn next(&mut self) -> Option<S::Item> {
        let stream = &mut self.stream;
        crate::awaitlet(poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.stream.size_hint()
    }
}

impl<S: FusedStream + Unpin> FusedIterator for Iter<S> {}

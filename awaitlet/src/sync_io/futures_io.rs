//! [`SyncIo`] over the `futures-io` traits.

use core::pin::Pin;
use std::io::{self, BufRead, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};

use ::futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::{await_io, fill_buf};

/// Blocking `std::io` over the `futures-io` async I/O traits, for sync code running inside an
/// [`async_def`](crate::async_def()).
///
/// The same adapter as `awaitlet::tokio::SyncIo` (feature `tokio`), for the traits of
/// `futures-io` (used by `futures`, async-std, smol and others): `SyncIo<T>` is [`Read`] when `T`
/// is [`AsyncRead`], [`BufRead`] when it is [`AsyncBufRead`], [`Write`] when it is
/// [`AsyncWrite`] and [`Seek`] when it is [`AsyncSeek`], each for `T: Unpin`. Each call awaits the
/// inner type through [`awaitlet!`](crate::awaitlet!), with no thread and no allocation.
///
/// ```
/// use std::io::Read;
///
/// use awaitlet::futures_io::SyncIo;
///
/// // Unchanged blocking code.
/// fn first_word(mut input: impl Read) -> std::io::Result<String> {
///     let mut text = String::new();
///     input.read_to_string(&mut text)?;
///     Ok(text.split_whitespace().next().unwrap_or_default().to_string())
/// }
///
/// let input = SyncIo::new(futures::io::Cursor::new(b"hello world".to_vec()));
/// let word = futures::executor::block_on(awaitlet::async_def(move || first_word(input)));
/// assert_eq!(word.unwrap(), "hello");
/// ```
///
/// - **Outside an `async_def`** (or anywhere else `awaitlet!` would panic) every call returns an
///   [`io::Error`] of kind [`Other`](io::ErrorKind::Other) whose message is `awaitlet!`'s refusal
///   message, without touching the inner type: nothing is read, written or sought, and nothing
///   blocks.
/// - **Errors** of the inner type come back unchanged, kind, message and source.
/// - **Vectored I/O:** `read_vectored` and `write_vectored` call `poll_read_vectored` and
///   `poll_write_vectored`.
/// - **Closing** the write side is [`SyncIo::close`] (`poll_close`).
#[derive(Debug, Default)]
pub struct SyncIo<T> {
    inner: T,
}

impl<T> SyncIo<T> {
    /// Wraps `inner`; nothing is read or written until the first call.
    pub const fn new(inner: T) -> Self {
        SyncIo { inner }
    }

    /// The inner I/O object.
    pub const fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The inner I/O object, mutably: reading or writing it directly bypasses nothing, since
    /// `SyncIo` keeps no buffer of its own.
    pub const fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the inner I/O object.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncWrite + Unpin> SyncIo<T> {
    /// Closes the write side (`poll_close`): flushes, and for a socket sends the end of the
    /// stream to the peer.
    ///
    /// Outside an `async_def` it returns the same error as every other call, closing nothing.
    pub fn close(&mut self) -> io::Result<()> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_close(cx))
    }
}

impl<T: AsyncRead + Unpin> Read for SyncIo<T> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_read(cx, buf))
    }

    #[inline]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_read_vectored(cx, bufs))
    }
}

impl<T: AsyncBufRead + Unpin> BufRead for SyncIo<T> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        fill_buf(&mut self.inner, <T as AsyncBufRead>::poll_fill_buf)
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        Pin::new(&mut self.inner).consume(amount);
    }
}

impl<T: AsyncWrite + Unpin> Write for SyncIo<T> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_write(cx, buf))
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_write_vectored(cx, bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_flush(cx))
    }
}

impl<T: AsyncSeek + Unpin> Seek for SyncIo<T> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_seek(cx, position))
    }
}

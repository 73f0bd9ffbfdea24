//! [`SyncIo`] over tokio's I/O traits.

use core::pin::Pin;
use core::task::{Poll, ready};
use std::io::{self, BufRead, IoSlice, Read, Seek, SeekFrom, Write};

use ::tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

use super::{await_io, fill_buf};

/// Blocking `std::io` over tokio's async I/O traits, for sync code running inside an
/// [`async_def`](crate::async_def()).
///
/// `SyncIo<T>` is [`Read`] when `T` is [`AsyncRead`], [`BufRead`] when it is [`AsyncBufRead`],
/// [`Write`] when it is [`AsyncWrite`] and [`Seek`] when it is [`AsyncSeek`], each for
/// `T: Unpin` (pin a `!Unpin` type with `Box::pin` first: tokio implements its traits for
/// `Pin<Box<T>>`). Hand it to sync code that takes `impl Read`, `impl BufRead` or `impl Write`
/// (`serde_json::from_reader`, `csv`, `flate2`, a hand-written line protocol), unchanged: each
/// call awaits the inner type through [`awaitlet!`](crate::awaitlet!), suspending the coroutine
/// while it is not ready, with no thread and no allocation per call.
///
/// ```
/// use std::io::BufRead;
///
/// use awaitlet::tokio::SyncIo;
/// use tokio::io::{AsyncWriteExt, BufReader};
///
/// // Unchanged blocking code.
/// fn count_words(input: impl BufRead) -> std::io::Result<usize> {
///     let mut words = 0;
///     for line in input.lines() {
///         words += line?.split_whitespace().count();
///     }
///     Ok(words)
/// }
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let (mut writer, reader) = tokio::io::duplex(16);
///     tokio::spawn(async move { writer.write_all(b"the quick brown\nfox jumps\n").await });
///     let input = SyncIo::new(BufReader::new(reader));
///     let words = awaitlet::async_def(move || count_words(input)).await?;
///     assert_eq!(words, 5);
///     Ok(())
/// }
/// ```
///
/// - **Outside an `async_def`** (or anywhere else `awaitlet!` would panic, such as inside the
///   `poll` of a future it awaits) every call returns an [`io::Error`] of kind
///   [`Other`](io::ErrorKind::Other) whose message is `awaitlet!`'s refusal message. Such a call
///   never touches the inner type: it reads, writes and seeks nothing, so no data is lost, and it
///   never blocks the thread.
/// - **Errors** of the inner type come back unchanged, kind, message and source.
/// - **Vectored I/O:** `write_vectored` calls `poll_write_vectored`; tokio's `AsyncRead` has no
///   vectored read, so `read_vectored` reads into the first non-empty buffer (`std`'s default).
/// - **Shutting down** the write side is [`SyncIo::shutdown`] (tokio's `poll_shutdown`), as
///   dropping the `SyncIo` does not close anything the inner type would not close on drop.
/// - **Seeking** first completes a seek the inner type may still have in progress, then starts
///   the new one and awaits its completion.
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
    /// Shuts the write side down (tokio's `poll_shutdown`): flushes, and for a socket sends the
    /// end of the stream to the peer.
    ///
    /// Outside an `async_def` it returns the same error as every other call, shutting nothing.
    pub fn shutdown(&mut self) -> io::Result<()> {
        let inner = &mut self.inner;
        await_io(|cx| Pin::new(&mut *inner).poll_shutdown(cx))
    }
}

impl<T: AsyncRead + Unpin> Read for SyncIo<T> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let inner = &mut self.inner;
        await_io(|cx| {
            let mut buf = ReadBuf::new(&mut *buf);
            ready!(Pin::new(&mut *inner).poll_read(cx, &mut buf))?;
            Poll::Ready(Ok(buf.filled().len()))
        })
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
        let mut inner = Pin::new(&mut self.inner);
        let mut started = false;
        await_io(|cx| {
            if !started {
                // tokio's `start_seek` fails while an earlier seek is still in progress.
                ready!(inner.as_mut().poll_complete(cx))?;
                inner.as_mut().start_seek(position)?;
                started = true;
            }
            inner.as_mut().poll_complete(cx)
        })
    }
}

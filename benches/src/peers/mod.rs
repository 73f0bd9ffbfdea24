//! awaitlet against its Rust peers and against the floor of its design, on the same workloads.
//!
//! Each contender is a [`Bridge`]: a way to run sync code on a stack of its own ([`Bridge::run`])
//! so that it can await a future from any depth ([`Bridge::wait`]). The workloads of this crate
//! are written once, generic over the bridge, so that every contender runs the same code:
//!
//! | bridge | crate | stack |
//! |---|---|---|
//! | [`Awaitlet`] | `awaitlet` (`async_def`, `awaitlet!`) | 1 MiB, pooled slab stacks |
//! | [`floor::Floor`] | corosensei, no checks at all: the least such a bridge can cost | 1 MiB `DefaultStack`, reused |
//! | [`stackful::Stackful`] | `stackful` 0.1.5 (`stackful`, `wait`) | 2 MiB, one cached per process |
//! | [`generator::Generator`] | `generator` 0.8 (`LocalGenerator`) | 32 KiB, mapped per coroutine |
//!
//! [`workloads`] lists the workloads and their contenders (native async among them), which the
//! `peers` bench target measures in interleaved rounds; [`results`] is what it and the `memory`
//! binary write for the report.

use std::future::{Future, poll_fn};
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub mod floor;
pub mod generator;
pub mod memory;
pub mod results;
pub mod stackful;
pub mod workloads;

/// A way to run sync code that awaits futures: awaitlet, or one of its peers.
pub trait Bridge {
    /// Runs `body` on a coroutine; the future completes with what `body` returns.
    fn run<R: 'static>(body: impl FnOnce() -> R + 'static) -> impl Future<Output = R> + 'static;

    /// Awaits `future` from sync code that runs under [`Bridge::run`].
    fn wait<F: Future>(future: F) -> F::Output;
}

/// The await loop of the floor and of the `generator` bridge: polls `future` with `cx` and, while
/// it is pending, suspends the coroutine through `suspend`, which returns the `Context` of the poll
/// that resumed it.
///
/// # Safety
///
/// ## Caller
///
/// `cx`, and each `Context` that `suspend` returns, must point at the `Context` of the poll that
/// is running the calling coroutine at that moment.
#[inline(always)]
unsafe fn await_with<F: Future>(
    future: F,
    mut cx: *mut Context<'static>,
    mut suspend: impl FnMut() -> *mut Context<'static>,
) -> F::Output {
    let mut future = pin!(future);
    loop {
        // SAFETY: the caller's promise: `cx` is the `Context` of the poll running us right now.
        if let Poll::Ready(output) = future.as_mut().poll(unsafe { &mut *cx }) {
            return output;
        }
        cx = suspend();
    }
}

/// awaitlet itself: `async_def` and `awaitlet!`.
#[derive(Debug)]
pub struct Awaitlet;

impl Bridge for Awaitlet {
    fn run<R: 'static>(body: impl FnOnce() -> R + 'static) -> impl Future<Output = R> + 'static {
        awaitlet::async_def(body)
    }

    #[inline(always)]
    fn wait<F: Future>(future: F) -> F::Output {
        awaitlet::awaitlet!(future)
    }
}

/// The smallest `std::io::Read` and `Write` over a tokio `AsyncRead`/`AsyncWrite`, awaiting each
/// call through bridge `B`: what a peer without an adapter of its own needs for the duplex
/// ping-pong (awaitlet has `awaitlet::tokio::SyncIo`).
#[derive(Debug)]
pub struct BridgeIo<B, S> {
    stream: S,
    bridge: PhantomData<B>,
}

impl<B, S> BridgeIo<B, S> {
    /// `stream`, whose calls are awaited through `B`.
    pub fn new(stream: S) -> Self {
        BridgeIo {
            stream,
            bridge: PhantomData,
        }
    }
}

impl<B: Bridge, S: AsyncRead + Unpin> Read for BridgeIo<B, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        B::wait(poll_fn(|cx| {
            Pin::new(&mut self.stream).poll_read(cx, &mut buf)
        }))?;
        Ok(buf.filled().len())
    }
}

impl<B: Bridge, S: AsyncWrite + Unpin> Write for BridgeIo<B, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        B::wait(poll_fn(|cx| Pin::new(&mut self.stream).poll_write(cx, buf)))
    }

    fn flush(&mut self) -> io::Result<()> {
        B::wait(poll_fn(|cx| Pin::new(&mut self.stream).poll_flush(cx)))
    }
}

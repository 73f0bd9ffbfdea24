//! A latency-bound exchange through `std::io`: a client sends 8 bytes over a tokio duplex pipe and
//! waits for a native echo task to send them back, `rounds` times.
//!
//! - [`sync_io`]: the client is sync code, [`sync_client`], through `awaitlet::tokio::SyncIo` in
//!   an `async_def` task; [`under`] is the same for any [`Bridge`] through its [`BridgeIo`].
//! - [`native`]: the client is an async task using `AsyncWriteExt`/`AsyncReadExt`.
//! - [`sync_io_bridge`]: the client is [`sync_client`] through tokio-util's `SyncIoBridge` on a
//!   `spawn_blocking` thread of a multi-thread runtime, the setup `SyncIoBridge` is made for.
//!
//! All but the last run both tasks on a `LocalSet` on a current-thread runtime. Each returns the
//! time the client took, and the client checks every number that comes back.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use awaitlet::tokio::SyncIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;
use tokio::task::{LocalSet, spawn_local};
use tokio_util::io::SyncIoBridge;

use crate::peers::{Bridge, BridgeIo};

/// The size of one message, and the capacity of the pipe in each direction.
pub const MESSAGE: usize = 8;

/// The echo side: sends back every message until the client hangs up.
async fn echo(mut pipe: DuplexStream) {
    let mut message = [0; MESSAGE];
    while pipe.read_exact(&mut message).await.is_ok() {
        pipe.write_all(&message).await.expect("the client hung up");
    }
}

/// The sync client: `rounds` round trips through `io`, timed.
pub fn sync_client(mut io: impl Read + Write, rounds: u64) -> Duration {
    let start = Instant::now();
    let mut back = [0; MESSAGE];
    for i in 0..rounds {
        io.write_all(&i.to_le_bytes()).expect("writing the pipe");
        io.read_exact(&mut back).expect("reading the pipe");
        assert_eq!(
            u64::from_le_bytes(back),
            i,
            "the echo sent back another number"
        );
    }
    start.elapsed()
}

/// Runs [`echo`] and `client` (given the other end of the pipe) as tasks on `local`.
fn on_local_set<C, F>(runtime: &Runtime, local: &LocalSet, client: C) -> Duration
where
    C: FnOnce(DuplexStream) -> F,
    F: Future<Output = Duration> + 'static,
{
    local.block_on(runtime, async move {
        let (client_end, echo_end) = tokio::io::duplex(MESSAGE);
        let echo = spawn_local(echo(echo_end));
        let elapsed = spawn_local(client(client_end)).await;
        echo.await.expect("the echo task panicked");
        elapsed.expect("the client panicked")
    })
}

/// [`sync_client`] through `SyncIo` in an `async_def` task.
pub fn sync_io(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    on_local_set(runtime, local, move |pipe| {
        awaitlet::async_def(move || sync_client(SyncIo::new(pipe), rounds))
    })
}

/// [`sync_client`] through [`BridgeIo`] on a coroutine of bridge `B`.
pub fn under<B: Bridge>(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    on_local_set(runtime, local, move |pipe| {
        B::run(move || sync_client(BridgeIo::<B, _>::new(pipe), rounds))
    })
}

/// A native async client.
pub fn native(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    on_local_set(runtime, local, move |mut pipe| async move {
        let start = Instant::now();
        let mut back = [0; MESSAGE];
        for i in 0..rounds {
            pipe.write_all(&i.to_le_bytes())
                .await
                .expect("writing the pipe");
            pipe.read_exact(&mut back).await.expect("reading the pipe");
            assert_eq!(
                u64::from_le_bytes(back),
                i,
                "the echo sent back another number"
            );
        }
        start.elapsed()
    })
}

/// [`sync_client`] through `SyncIoBridge` on a `spawn_blocking` thread; the echo is a task of the
/// multi-thread `runtime`.
pub fn sync_io_bridge(runtime: &Runtime, rounds: u64) -> Duration {
    runtime.block_on(async move {
        let (client_end, echo_end) = tokio::io::duplex(MESSAGE);
        let echo = tokio::spawn(echo(echo_end));
        let io = SyncIoBridge::new(client_end);
        let elapsed = tokio::task::spawn_blocking(move || sync_client(io, rounds)).await;
        echo.await.expect("the echo task panicked");
        elapsed.expect("the client panicked")
    })
}

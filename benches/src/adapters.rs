//! The adapters against what they stand in for.
//!
//! - [`read`]: 128 MiB through a tokio duplex pipe, read in pieces of a fixed size by sync code
//!   through `awaitlet::tokio::SyncIo` in an `async_def` task ([`read::sync_io`]), by native
//!   async code with `AsyncReadExt::read` ([`read::native`]), and by sync code through
//!   tokio-util's `SyncIoBridge` in `spawn_blocking` ([`read::sync_io_bridge`]). The writer is the
//!   same native task in all three, on the same current-thread runtime.
//! - [`iter`]: `awaitlet::iter` over a stream of ready items against
//!   `while let Some(x) = stream.next().await`.

use std::hint::black_box;
use std::io::Read;

/// How much each read workload moves.
pub const TOTAL: usize = 128 << 20;
/// The capacity of the duplex pipe, and the size of the writer's writes.
pub const PIPE: usize = 64 << 10;

/// Reads `input` to the end in pieces of `read_size` bytes; returns how many bytes it read.
///
/// The sync reader of [`read::sync_io`] and [`read::sync_io_bridge`].
pub fn read_to_end(mut input: impl Read, read_size: usize) -> usize {
    let mut buf = vec![0; read_size];
    let mut total = 0;
    loop {
        match input.read(&mut buf).expect("reading the pipe") {
            0 => return total,
            n => total += n,
        }
        black_box(&mut buf);
    }
}

pub mod read {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use awaitlet::tokio::SyncIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio::runtime::Runtime;
    use tokio::task::{LocalSet, spawn_local};
    use tokio_util::io::SyncIoBridge;

    use super::{PIPE, read_to_end};

    /// Writes `total` bytes into the pipe in writes of `PIPE` bytes, then closes it.
    async fn writer(mut pipe: DuplexStream, total: usize) {
        let chunk = vec![0x5a; PIPE];
        let mut left = total;
        while left > 0 {
            let len = left.min(PIPE);
            pipe.write_all(&chunk[..len])
                .await
                .expect("writing the pipe");
            left -= len;
        }
    }

    /// Runs the writer and `reader` (given the pipe's read end) as two tasks; returns the time
    /// until both are done.
    fn timed<R, F>(runtime: &Runtime, local: &LocalSet, total: usize, reader: R) -> Duration
    where
        R: FnOnce(DuplexStream) -> F,
        F: Future<Output = usize> + 'static,
    {
        local.block_on(runtime, async move {
            let (write_end, read_end) = tokio::io::duplex(PIPE);
            let start = Instant::now();
            let writer = spawn_local(writer(write_end, total));
            let read = spawn_local(reader(read_end))
                .await
                .expect("the reader panicked");
            writer.await.expect("the writer panicked");
            let elapsed = start.elapsed();
            assert_eq!(read, total, "the reader read everything");
            elapsed
        })
    }

    /// Sync code reading through `SyncIo`, in an `async_def` task.
    pub fn sync_io(
        runtime: &Runtime,
        local: &LocalSet,
        read_size: usize,
        total: usize,
    ) -> Duration {
        timed(runtime, local, total, move |pipe| {
            awaitlet::async_def(move || read_to_end(SyncIo::new(pipe), read_size))
        })
    }

    /// Native async code reading with `AsyncReadExt::read`, in a task.
    pub fn native(runtime: &Runtime, local: &LocalSet, read_size: usize, total: usize) -> Duration {
        timed(runtime, local, total, move |mut pipe| async move {
            let mut buf = vec![0; read_size];
            let mut total = 0;
            loop {
                match pipe.read(&mut buf).await.expect("reading the pipe") {
                    0 => return total,
                    n => total += n,
                }
                black_box(&mut buf);
            }
        })
    }

    /// Sync code reading through `SyncIoBridge` on tokio's blocking pool.
    pub fn sync_io_bridge(
        runtime: &Runtime,
        local: &LocalSet,
        read_size: usize,
        total: usize,
    ) -> Duration {
        timed(runtime, local, total, move |pipe| async move {
            let input = SyncIoBridge::new(pipe);
            tokio::task::spawn_blocking(move || read_to_end(input, read_size))
                .await
                .expect("the blocking reader panicked")
        })
    }
}

pub mod iter {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use futures::StreamExt;

    use crate::poll_ready;

    /// `iters` items of a ready stream through `awaitlet::iter`, in one coroutine.
    pub fn under_awaitlet(iters: u64) -> Duration {
        poll_ready(awaitlet::async_def(move || {
            let items = awaitlet::iter(futures::stream::iter(0..iters));
            let start = Instant::now();
            for item in items {
                black_box(item);
            }
            start.elapsed()
        }))
    }

    /// `iters` items of the same stream with `while let Some(x) = stream.next().await`.
    pub fn native(iters: u64) -> Duration {
        poll_ready(async move {
            let mut items = futures::stream::iter(0..iters);
            let start = Instant::now();
            while let Some(item) = items.next().await {
                black_box(item);
            }
            start.elapsed()
        })
    }
}

#[cfg(test)]
mod tests {
    use tokio::task::LocalSet;

    use super::*;
    use crate::current_thread_runtime;

    #[test]
    fn the_read_workloads_read_everything() {
        let runtime = current_thread_runtime();
        let local = LocalSet::new();
        for read_size in [64, 8 << 10] {
            // Each asserts that its reader saw all the bytes.
            read::sync_io(&runtime, &local, read_size, 1 << 20);
            read::native(&runtime, &local, read_size, 1 << 20);
            read::sync_io_bridge(&runtime, &local, read_size, 1 << 20);
        }
    }

    #[test]
    fn the_iter_workloads_run() {
        iter::under_awaitlet(100);
        iter::native(100);
    }
}

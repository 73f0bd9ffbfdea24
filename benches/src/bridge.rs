//! Sync code doing `std::io` on a tokio duplex pipe: through `awaitlet::tokio::SyncIo`, through
//! tokio-util's `SyncIoBridge` on the blocking pool, and native async code as the baseline, each
//! on a current-thread and on a multi-thread runtime.
//!
//! Two jobs, each between a native peer task and the client whose kind is compared:
//!
//! - [`Job::Read`]: the peer writes `total` bytes in writes of [`PIPE`] bytes into a pipe of
//!   [`PIPE`] capacity; the client reads them to the end in pieces of `size` bytes. Bandwidth:
//!   most reads find data already buffered.
//! - [`Job::PingPong`]: the client writes 8 bytes and reads them back from the peer, which echoes
//!   them, `rounds` times. Latency: every read waits for the other side.
//!
//! Each client runs the way a user of that runtime would write it:
//!
//! | client | current-thread runtime | multi-thread runtime |
//! |---|---|---|
//! | [`Client::Native`] | `spawn_local` on a `LocalSet` | `tokio::spawn` |
//! | [`Client::SyncIo`] | `spawn_local(async_def(..))` on a `LocalSet` | `tokio::spawn` of an `#[async_def(send)]` fn, whose body runs on awaitlet's pool |
//! | [`Client::SyncIoBridge`] | `spawn_blocking` | `spawn_blocking` |
//!
//! The peer is a task spawned the same way as a native client. The runtimes have no I/O or time
//! driver (the pipe needs neither; see the crate docs), and the multi-thread one has two workers.

use std::hint::black_box;
use std::io::{Read, Write};

use awaitlet::tokio::SyncIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;
use tokio::task::{JoinHandle, LocalSet, spawn_local};
use tokio_util::io::SyncIoBridge;

use crate::clock::{Clocks, Spent};

/// The capacity of the duplex pipe, and the size of the bulk writer's writes.
pub const PIPE: usize = 64 << 10;
/// What a ping-pong round trip sends each way.
pub const MESSAGE: usize = 8;

/// Which tokio runtime a setup runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `Builder::new_current_thread`, the tasks on a `LocalSet`.
    CurrentThread,
    /// `Builder::new_multi_thread` with two workers.
    MultiThread,
}

/// The side whose kind is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// Native async code, `AsyncReadExt`/`AsyncWriteExt`.
    Native,
    /// Sync code through `awaitlet::tokio::SyncIo`.
    SyncIo,
    /// Sync code through tokio-util's `SyncIoBridge`, on tokio's blocking pool.
    SyncIoBridge,
}

/// What the client and its peer do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Read `total` bytes in reads of `size` bytes.
    Read { size: usize, total: usize },
    /// `rounds` round trips of [`MESSAGE`] bytes.
    PingPong { rounds: u64 },
}

impl Job {
    /// How many operations the job is: reads, or round trips.
    pub fn ops(self) -> u64 {
        match self {
            Job::Read { size, total } => total.div_ceil(size) as u64,
            Job::PingPong { rounds } => rounds,
        }
    }
}

/// A runtime of one flavor, and the `LocalSet` its current-thread tasks run on.
#[derive(Debug)]
pub struct Setup {
    flavor: Flavor,
    runtime: Runtime,
    local: LocalSet,
}

impl Setup {
    /// A runtime of `flavor` (see the module docs).
    pub fn new(flavor: Flavor) -> Self {
        let runtime = match flavor {
            Flavor::CurrentThread => crate::current_thread_runtime(),
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("building a multi-thread tokio runtime"),
        };
        let local = LocalSet::new();
        Setup {
            flavor,
            runtime,
            local,
        }
    }

    /// Spawns `future` as a task, the way users of this runtime do.
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        match self.flavor {
            Flavor::CurrentThread => spawn_local(future),
            Flavor::MultiThread => tokio::spawn(future),
        }
    }

    /// Spawns `client` doing `job` on one end of a new pipe, and the peer on the other; returns
    /// what that took from before the spawns until both were done.
    ///
    /// # Panics
    ///
    /// When the client did not read every byte, or a round trip came back different.
    pub fn run(&self, client: Client, job: Job) -> Spent {
        let (ours, theirs) = tokio::io::duplex(PIPE);
        let both = async move {
            let clocks = Clocks::start();
            let peer = self.spawn(peer(theirs, job));
            let done = self.spawn_client(client, ours, job);
            let done = done.await.expect("the client panicked");
            peer.await.expect("the peer panicked");
            let spent = clocks.elapsed();
            let expected = match job {
                Job::Read { total, .. } => total as u64,
                Job::PingPong { rounds } => rounds,
            };
            assert_eq!(done, expected, "{client:?} did all of {job:?}");
            spent
        };
        match self.flavor {
            Flavor::CurrentThread => self.local.block_on(&self.runtime, both),
            Flavor::MultiThread => self.runtime.block_on(both),
        }
    }

    fn spawn_client(&self, client: Client, pipe: DuplexStream, job: Job) -> JoinHandle<u64> {
        match (client, self.flavor) {
            (Client::Native, _) => self.spawn(native_client(pipe, job)),
            (Client::SyncIo, Flavor::CurrentThread) => {
                spawn_local(awaitlet::async_def(move || {
                    sync_client(SyncIo::new(pipe), job)
                }))
            }
            (Client::SyncIo, Flavor::MultiThread) => tokio::spawn(sync_io_send(pipe, job)),
            (Client::SyncIoBridge, _) => {
                let pipe = SyncIoBridge::new(pipe);
                tokio::task::spawn_blocking(move || sync_client(pipe, job))
            }
        }
    }
}

/// The native peer: writes the bytes to be read, or echoes each message until the client hangs
/// up.
async fn peer(mut pipe: DuplexStream, job: Job) {
    match job {
        Job::Read { total, .. } => {
            let chunk = vec![0x5a; PIPE];
            let mut left = total;
            while left > 0 {
                let len = left.min(PIPE);
                let written = pipe.write_all(&chunk[..len]).await;
                written.expect("writing the pipe");
                left -= len;
            }
        }
        Job::PingPong { .. } => {
            let mut message = [0; MESSAGE];
            while pipe.read_exact(&mut message).await.is_ok() {
                pipe.write_all(&message).await.expect("echoing a message");
            }
        }
    }
}

/// The sync client, over `SyncIo` or `SyncIoBridge`: bytes read, or round trips made.
fn sync_client(mut pipe: impl Read + Write, job: Job) -> u64 {
    match job {
        Job::Read { size, .. } => read_to_end(pipe, size) as u64,
        Job::PingPong { rounds } => {
            let mut back = [0; MESSAGE];
            for round in 0..rounds {
                pipe.write_all(&round.to_le_bytes())
                    .expect("writing the pipe");
                pipe.read_exact(&mut back).expect("reading the pipe");
                assert_eq!(u64::from_le_bytes(back), round, "the echo came back wrong");
            }
            rounds
        }
    }
}

/// The sync client on a multi-thread runtime, as its users write it.
#[awaitlet::async_def(send)]
fn sync_io_send(pipe: DuplexStream, job: Job) -> u64 {
    sync_client(SyncIo::new(pipe), job)
}

/// The native client: what [`sync_client`] does, with `.await`.
async fn native_client(mut pipe: DuplexStream, job: Job) -> u64 {
    match job {
        Job::Read { size, .. } => {
            let mut buf = vec![0; size];
            let mut total = 0;
            loop {
                match pipe.read(&mut buf).await.expect("reading the pipe") {
                    0 => return total,
                    n => total += n as u64,
                }
                black_box(&mut buf);
            }
        }
        Job::PingPong { rounds } => {
            let mut back = [0; MESSAGE];
            for round in 0..rounds {
                let sent = pipe.write_all(&round.to_le_bytes()).await;
                sent.expect("writing the pipe");
                pipe.read_exact(&mut back).await.expect("reading the pipe");
                assert_eq!(u64::from_le_bytes(back), round, "the echo came back wrong");
            }
            rounds
        }
    }
}

/// Reads `input` to the end in pieces of `read_size` bytes; returns how many bytes it read.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_does_every_job_on_both_runtimes() {
        for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
            let setup = Setup::new(flavor);
            for client in [Client::Native, Client::SyncIo, Client::SyncIoBridge] {
                // Each checks that every byte arrived and every echo came back the same. A total
                // that is not a multiple of the read size or of the pipe leaves a short last read.
                for size in [64, 8 << 10] {
                    setup.run(
                        client,
                        Job::Read {
                            size,
                            total: (1 << 20) + 100,
                        },
                    );
                }
                setup.run(client, Job::PingPong { rounds: 100 });
            }
        }
    }

    #[test]
    fn a_job_counts_its_operations() {
        assert_eq!(
            Job::Read {
                size: 64,
                total: 128 << 20
            }
            .ops(),
            2 << 20
        );
        assert_eq!(
            Job::Read {
                size: 64,
                total: 100
            }
            .ops(),
            2
        );
        assert_eq!(Job::PingPong { rounds: 7 }.ops(), 7);
    }
}

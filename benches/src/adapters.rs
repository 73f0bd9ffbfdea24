//! The adapters against what they stand in for.
//!
//! - Reads: 128 MiB through a tokio duplex pipe, read in pieces of a fixed size by sync code
//!   through `awaitlet::tokio::SyncIo`, by native async code, and by sync code through
//!   tokio-util's `SyncIoBridge` in `spawn_blocking`: [`crate::bridge`]'s [`Job::Read`] of
//!   [`TOTAL`] bytes, on its current-thread runtime.
//! - [`iter`]: `awaitlet::iter` over a stream of ready items against
//!   `while let Some(x) = stream.next().await`.
//!
//! [`Job::Read`]: crate::bridge::Job::Read

/// How much each read workload moves.
pub const TOTAL: usize = 128 << 20;

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
    use super::*;

    #[test]
    fn the_iter_workloads_run() {
        iter::under_awaitlet(100);
        iter::native(100);
    }
}

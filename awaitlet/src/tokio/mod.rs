//! Adapters for tokio: [`SyncIo`], blocking `std::io` over tokio's async I/O traits.

pub use crate::sync_io::tokio::SyncIo;

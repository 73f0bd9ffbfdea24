//! What the `peers` bench and the `memory` binary write, and the report reads: JSON files in
//! `<target dir>/awaitlet-peers/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The `peers` bench's file in `dir`.
pub const PEERS_FILE: &str = "peers.json";
/// The `memory` binary's file in `dir`.
pub const MEMORY_FILE: &str = "memory.json";

/// Where both files go, under the cargo target directory `target`
/// ([`crate::results::target_dir`]).
pub fn dir(target: &Path) -> PathBuf {
    target.join("awaitlet-peers")
}

/// One run of the `peers` bench.
#[derive(Debug, Serialize, Deserialize)]
pub struct PeersRun {
    /// When it ran, UTC.
    pub measured: String,
    /// How many rounds each contender was measured in (one sample a round).
    pub rounds: usize,
    pub workloads: Vec<WorkloadResult>,
}

/// One workload of [`PeersRun`].
#[derive(Debug, Serialize, Deserialize)]
pub struct WorkloadResult {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub contenders: Vec<ContenderResult>,
}

/// One contender's samples of a [`WorkloadResult`], per operation.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContenderResult {
    pub id: String,
    /// Operations per sample.
    pub iterations: u64,
    /// One per round, in ns per operation.
    pub samples_ns: Vec<f64>,
    pub median_ns: f64,
    pub min_ns: f64,
}

impl WorkloadResult {
    /// The contender `id`'s result, if it ran.
    pub fn contender(&self, id: &str) -> Option<&ContenderResult> {
        self.contenders.iter().find(|contender| contender.id == id)
    }
}

/// One run of the `memory` binary.
#[derive(Debug, Serialize, Deserialize)]
pub struct MemoryRun {
    pub measured: String,
    /// `/proc/sys/vm/max_map_count` when it ran.
    pub max_map_count: u64,
    /// How many suspended coroutines the RSS figure divides by.
    pub suspended_for_rss: u64,
    /// Where counting stopped if nothing failed first.
    pub cap: u64,
    pub contenders: Vec<MemoryResult>,
}

/// One contender of [`MemoryRun`].
#[derive(Debug, Serialize, Deserialize)]
pub struct MemoryResult {
    pub id: String,
    /// Resident memory per suspended coroutine, in bytes.
    pub rss_per_coroutine: f64,
    /// How many suspended coroutines one process held before the first failure, or the cap.
    pub held: u64,
    /// Why it stopped there: the cap, or what the failure said.
    pub stopped: String,
}

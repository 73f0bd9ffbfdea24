//! The figures that criterion does not measure, as the tools that measure them write them under
//! `target/` and the report generator reads them: instruction counts (`--bin instructions`) and
//! the `SyncIoBridge` setups on both runtimes (`--bench bridge`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where cargo builds: `$CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    let benches = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = benches
        .parent()
        .expect("the benches package is in the workspace's dir");
    std::env::var_os("CARGO_TARGET_DIR").map_or(workspace.join("target"), PathBuf::from)
}

/// `target/awaitlet-instructions/instructions.json`.
pub fn instructions_path(target: &Path) -> PathBuf {
    target.join("awaitlet-instructions/instructions.json")
}

/// `target/awaitlet-bridge/bridge.json`.
pub fn bridge_path(target: &Path) -> PathBuf {
    target.join("awaitlet-bridge/bridge.json")
}

/// Reads the JSON file at `path`: `Ok(None)` when there is none, an error when it does not parse.
pub fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    let Ok(json) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let parsed = serde_json::from_str(&json);
    parsed
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `value` as JSON to `path`, making its directory.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let error = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| error(&e))?;
    }
    let json = serde_json::to_string_pretty(value).map_err(|e| error(&e))?;
    std::fs::write(path, json + "\n").map_err(|e| error(&e))
}

/// What `--bin instructions` measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Instructions {
    /// `valgrind --version`.
    pub valgrind: String,
    pub counts: Vec<Count>,
}

/// Instructions per operation of one variant of one benchmark group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// The group's id in `benchmarks.toml` (criterion's group id).
    pub id: String,
    /// The variant's id in that group.
    pub variant: String,
    /// (Ir(long) − Ir(short)) / (ops(long) − ops(short)).
    pub per_op: f64,
    /// Operations of the short and of the long run.
    pub ops: [u64; 2],
    /// Instructions callgrind counted in the whole process, short and long run.
    pub total: [u64; 2],
}

impl Instructions {
    /// The count of `variant` of group `id`, if it was measured.
    pub fn per_op(&self, id: &str, variant: &str) -> Option<f64> {
        let count = self
            .counts
            .iter()
            .find(|c| c.id == id && c.variant == variant);
        Some(count?.per_op)
    }
}

/// What `--bench bridge` measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bridge {
    /// Runs of each variant per setup, after one warm-up run.
    pub rounds: usize,
    pub setups: Vec<BridgeSetup>,
}

/// One job on one runtime, all its variants from the same run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BridgeSetup {
    /// `current_thread` or `multi_thread`.
    pub runtime: String,
    /// `read_64b`, `read_8k` or `pingpong`.
    pub job: String,
    /// Operations per run: reads, or round trips.
    pub ops: u64,
    pub variants: Vec<BridgeVariant>,
}

/// Medians over the rounds, per operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BridgeVariant {
    /// `awaitlet`, `native` or `sync_io_bridge`.
    pub id: String,
    pub wall_ns: f64,
    pub cpu_ns: f64,
}

impl BridgeSetup {
    /// The variant `id`, if it ran.
    pub fn variant(&self, id: &str) -> Option<&BridgeVariant> {
        self.variants.iter().find(|variant| variant.id == id)
    }
}

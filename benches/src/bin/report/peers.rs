//! The peers and the floor: the `peers` bench's figures and the `memory` binary's, read from
//! `<target dir>/awaitlet-peers/`, as BENCHMARKS.md sections and the README table's `floor` and
//! `peers` columns.
//!
//! Every ratio here is taken within the peers run, never against criterion's figures.

use std::path::Path;

use awaitlet_benches::peers::results::{self, MemoryRun, PeersRun, WorkloadResult};

use super::{ratio, time};

/// The README table's columns from the peers run, after the others.
pub const README_HEADER: &str = "floor of the design | peers (stackful, generator)";
pub const README_COLUMNS: usize = 2;

/// What the peers bench and the memory binary wrote; `None` for a file not written yet.
#[derive(Default)]
pub struct Peers {
    run: Option<PeersRun>,
    memory: Option<MemoryRun>,
}

/// The contenders' names in the report.
fn label(id: &str) -> &str {
    match id {
        "awaitlet" => "awaitlet",
        "native" => "native async",
        "floor" => "floor (corosensei, no checks)",
        "stackful" => "stackful 0.1.5",
        "generator" => "generator 0.8",
        "sync_io_bridge" => "tokio-util `SyncIoBridge` (`spawn_blocking`, multi-thread runtime)",
        other => other,
    }
}

/// Reads both files from `target`'s results directory.
pub fn load(target: &Path) -> Result<Peers, String> {
    let dir = results::dir(target);
    Ok(Peers {
        run: awaitlet_benches::results::read(&dir.join(results::PEERS_FILE))?,
        memory: awaitlet_benches::results::read(&dir.join(results::MEMORY_FILE))?,
    })
}

impl Peers {
    /// BENCHMARKS.md `md` with [`Peers::markdown`] before its Python section (at its end if it
    /// has none).
    pub fn insert_into(&self, md: String) -> String {
        match md.split_once("\n## Python\n") {
            Some((head, tail)) => format!("{head}{}\n## Python\n{tail}", self.markdown()),
            None => md + &self.markdown(),
        }
    }

    /// The `peers` and `memory` sections of BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut md = "\n## peers\n\n**awaitlet against its peers and the floor of its design.** \
             The same workload functions (generic over the bridge) run under awaitlet, under \
             `stackful` 0.1.5 and `generator` 0.8 (each with the small bridge it needs, in \
             `benches/src/peers/`), and under the floor: a corosensei coroutine with no checks at \
             all (no refusal cases, no unwinding care, no nesting), the least any corosensei-based \
             bridge can cost, unsound to use. Native async runs each workload's native variant. \
             The contenders are measured interleaved, not one after the other: every round takes \
             one sample of each contender of each workload, in an order rotated every round, and \
             each figure is the median (and the minimum) of a contender's samples over the \
             rounds, so every ratio compares samples of the same minutes.\n\n\
             ```sh\ncargo bench -p awaitlet-benches --bench peers\n```\n"
            .to_string();
        match &self.run {
            None => md += "\nNot measured.\n",
            Some(run) => {
                md += &format!("\n{} rounds, measured {}.\n", run.rounds, run.measured);
                md += &floor_targets(run);
                for workload in &run.workloads {
                    md += &table(workload);
                }
            }
        }
        md += "\n## memory\n\n**What a suspended coroutine costs in memory.** Resident memory \
               (`VmRSS`) before and after creating N coroutines that each suspend inside one \
               pending await, divided by N; and how many one process holds at this machine's \
               `vm.max_map_count`, created until the first failure or the cap, each contender in \
               a child process of its own.\n\n\
               ```sh\ncargo run --release -p awaitlet-benches --bin memory\n```\n";
        let Some(memory) = &self.memory else {
            return md + "\nNot measured.\n";
        };
        md += &format!(
            "\nN = {}, `vm.max_map_count` {}, cap {}, measured {}.\n\n\
             | contender | resident per suspended coroutine | held at once | stopped by |\n\
             | --- | --- | --- | --- |\n",
            memory.suspended_for_rss, memory.max_map_count, memory.cap, memory.measured
        );
        for it in &memory.contenders {
            let kib = it.rss_per_coroutine / 1024.0;
            let stopped = it.stopped.replace('|', "\\|");
            let (name, held) = (label(&it.id), it.held);
            md += &format!("| {name} | {kib:.2} KiB | {held} | {stopped} |\n");
        }
        md
    }

    /// The README table's [`README_COLUMNS`] cells for criterion group `group`: the floor's
    /// median and awaitlet's ratio to it, and the peers' medians, where the peers run has a
    /// workload of that id; empty cells otherwise.
    pub fn readme_cells(&self, group: &str) -> [String; README_COLUMNS] {
        let run = self.run.as_ref();
        let workload = run.and_then(|run| run.workloads.iter().find(|w| w.id == group));
        let Some(workload) = workload else {
            return Default::default();
        };
        let median = |id: &str| workload.contender(id).map(|c| c.median_ns);
        let floor = match (median("floor"), median("awaitlet")) {
            (Some(floor), Some(awaitlet)) => {
                format!("{}; awaitlet {} it", time(floor), ratio(awaitlet / floor))
            }
            _ => String::new(),
        };
        let peers: Vec<String> = ["stackful", "generator"]
            .into_iter()
            .filter_map(|id| Some(format!("{} ({id})", time(median(id)?))))
            .collect();
        [floor, peers.join(", ")]
    }
}

/// Issue 15's targets for awaitlet against the floor: workload, bound on awaitlet's median
/// divided by the floor's, and the target in the issue's words.
const FLOOR_TARGETS: [(&str, f64, &str); 4] = [
    ("ready", 1.1, "ready await ≤ 1.1× the floor"),
    (
        "pending_once_tasks",
        1.05,
        "pending once in 16 tasks ≤ 1.05× the floor",
    ),
    ("roundtrip_pending", 1.1, "round trip ≤ 1.1× the floor"),
    ("pingpong", 1.03, "ping-pong ≤ 1.03× the floor"),
];

/// The table of [`FLOOR_TARGETS`] as this run measured them.
fn floor_targets(run: &PeersRun) -> String {
    let mut md = "\n| target (issue 15) | awaitlet ÷ floor, medians | met |\n| --- | --- | --- |\n"
        .to_string();
    for (id, bound, says) in FLOOR_TARGETS {
        let workload = run.workloads.iter().find(|w| w.id == id);
        let median = |contender: &str| workload?.contender(contender).map(|c| c.median_ns);
        let (figure, met) = match (median("awaitlet"), median("floor")) {
            (Some(awaitlet), Some(floor)) => {
                let r = awaitlet / floor;
                (ratio(r), if r <= bound { "yes" } else { "**no**" })
            }
            _ => ("not measured".to_string(), "—"),
        };
        md += &format!("| {says} | {figure} | {met} |\n");
    }
    md
}

/// One workload's table: median, minimum, and the median's ratio to native's and the floor's.
fn table(workload: &WorkloadResult) -> String {
    let mut title = workload.title.clone();
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let mut md = format!(
        "\n### {}\n\n{title}, per {}.\n\n\
         | contender | median | minimum | ÷ native | ÷ floor |\n| --- | --- | --- | --- | --- |\n",
        workload.id, workload.unit
    );
    let median = |id: &str| workload.contender(id).map(|c| c.median_ns);
    let (native, floor) = (median("native"), median("floor"));
    for it in &workload.contenders {
        let by = |base: Option<f64>| base.map_or("—".into(), |base| ratio(it.median_ns / base));
        md += &format!(
            "| {} | **{}** | {} | {} | {} |\n",
            label(&it.id),
            time(it.median_ns),
            time(it.min_ns),
            by(native),
            by(floor)
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One workload with three contenders, and the memory of two.
    fn sample() -> Peers {
        let run = r#"{"measured": "2026-12-05 10:00 UTC", "rounds": 3, "workloads": [
            {"id": "ready", "title": "an await of a ready future", "unit": "await", "contenders": [
                {"id": "awaitlet", "iterations": 10, "samples_ns": [2.0, 1.8, 2.2],
                 "median_ns": 2.0, "min_ns": 1.8},
                {"id": "native", "iterations": 10, "samples_ns": [1.0, 1.0, 1.1],
                 "median_ns": 1.0, "min_ns": 1.0},
                {"id": "floor", "iterations": 10, "samples_ns": [0.5, 0.5, 0.6],
                 "median_ns": 0.5, "min_ns": 0.5}]}]}"#;
        let memory = r#"{"measured": "2026-12-05 10:00 UTC", "max_map_count": 65530,
            "suspended_for_rss": 10000, "cap": 1000000, "contenders": [
                {"id": "awaitlet", "rss_per_coroutine": 4300.0, "held": 1000000, "stopped": "the cap"},
                {"id": "stackful", "rss_per_coroutine": 8192.0, "held": 32750,
                 "stopped": "panicked: failed | to map"}]}"#;
        Peers {
            run: Some(serde_json::from_str(run).unwrap()),
            memory: Some(serde_json::from_str(memory).unwrap()),
        }
    }

    #[test]
    fn each_contender_is_compared_with_native_and_the_floor_of_the_same_run() {
        let md = sample().markdown();
        for line in [
            "| awaitlet | **2.00 ns** | 1.80 ns | 2.00× | 4.00× |\n",
            "| native async | **1.00 ns** | 1.00 ns | 1.00× | 2.00× |\n",
            "| floor (corosensei, no checks) | **0.500 ns** | 0.500 ns | 0.500× | 1.00× |\n",
            "| awaitlet | 4.20 KiB | 1000000 | the cap |\n",
            "| stackful 0.1.5 | 8.00 KiB | 32750 | panicked: failed \\| to map |\n",
            "N = 10000, `vm.max_map_count` 65530, cap 1000000,",
            "\n### ready\n\nAn await of a ready future, per await.\n",
        ] {
            assert!(md.contains(line), "no {line:?} in\n{md}");
        }
    }

    #[test]
    fn the_floor_targets_say_met_or_not_from_the_medians() {
        let md = sample().markdown();
        assert!(
            md.contains("| ready await ≤ 1.1× the floor | 4.00× | **no** |"),
            "{md}"
        );
        assert!(
            md.contains("| round trip ≤ 1.1× the floor | not measured | — |"),
            "{md}"
        );
    }

    #[test]
    fn the_readme_gets_cells_only_for_workloads_the_peers_run_has() {
        let peers = sample();
        let cells = peers.readme_cells("ready");
        assert_eq!(
            cells,
            ["0.500 ns; awaitlet 4.00× it".to_string(), String::new()]
        );
        assert_eq!(peers.readme_cells("echo"), [String::new(), String::new()]);
    }

    #[test]
    fn files_not_written_yet_are_reported_as_not_measured() {
        let dir = std::env::temp_dir().join(format!("awaitlet-peers-{}", std::process::id()));
        let peers = load(&dir).unwrap();
        let md = peers.markdown();
        assert_eq!(md.matches("\nNot measured.\n").count(), 2, "{md}");
        assert_eq!(peers.readme_cells("ready"), [String::new(), String::new()]);
    }
}

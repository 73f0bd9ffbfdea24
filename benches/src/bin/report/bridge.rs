//! The `SyncIoBridge` section: `--bench bridge`'s wall and CPU times, a table per runtime, and the
//! range of the comparison across setups in one sentence for the README.

use std::path::Path;

use awaitlet_benches::results::{self, Bridge, BridgeSetup};

use crate::{digits, ratio, time};

/// The runtimes, as the JSON names them, and their headings.
const RUNTIMES: [(&str, &str); 2] = [
    ("current_thread", "Current-thread runtime"),
    ("multi_thread", "Multi-thread runtime, two workers"),
];
/// The variants, as the JSON names them, and their labels; the first is the one compared.
const VARIANTS: [(&str, &str); 3] = [
    ("awaitlet", "`SyncIo`"),
    ("native", "native async (`AsyncReadExt`)"),
    ("sync_io_bridge", "`SyncIoBridge`"),
];
/// The jobs, as the JSON names them, and what one operation of each is.
const JOBS: [(&str, &str); 3] = [
    ("read_64b", "64 B reads of 128 MiB, per read"),
    ("read_8k", "8 KiB reads of 128 MiB, per read"),
    ("pingpong", "8-byte ping-pong, per round trip"),
];

const ABOUT: &str = "\
How `awaitlet::tokio::SyncIo` compares with tokio-util's `SyncIoBridge` depends on the runtime \
and on whether the reader waits. Sync code reads a tokio duplex pipe (64 KiB capacity) through \
`SyncIo`, through `SyncIoBridge`, or native async code reads it with `AsyncReadExt`, in two jobs \
against a native peer task: reading 128 MiB that the peer writes 64 KiB at a time (bandwidth: most \
reads find data buffered), and an 8-byte ping-pong with a peer that echoes (latency: every read \
waits for the other task). On the current-thread runtime the tasks run on a `LocalSet` and \
`SyncIo` in an `async_def` task; on the multi-thread runtime (two workers) they are \
`tokio::spawn`ed and `SyncIo` runs in an `#[async_def(send)]` fn, whose body runs on awaitlet's \
pool of pinned threads, as a user of that runtime would write it. `SyncIoBridge` runs in \
`spawn_blocking` on both. So on the multi-thread runtime both sync clients wait on another thread \
than the peer task's (a pool thread, a blocking thread): every read that finds the pipe empty \
waits for a wake-up from another thread, while native tasks wake each other on one worker. \
CPU time is the whole process's (`CLOCK_PROCESS_CPUTIME_ID`): it counts \
the second core that the bridge's and the pool's threads use. All variants of a setup run in the \
same run, taking turns; the figures are medians per operation, and the ratios are of those \
medians.";

/// Reads `target/awaitlet-bridge/bridge.json`; `None` when the benchmark has not run.
pub fn read(target: &Path) -> Result<Option<Bridge>, String> {
    results::read(&results::bridge_path(target))
}

/// The section, or a line saying how to measure it when `--bench bridge` has not run.
pub fn section(bridge: Option<&Bridge>) -> String {
    let command = "cargo bench -p awaitlet-benches --bench bridge";
    let mut md = format!(
        "\n## sync_io_bridge\n\n**`SyncIo` and `SyncIoBridge` on both runtimes.** {ABOUT}\n\n```sh\n{command}\n```\n"
    );
    let Some(bridge) = bridge else {
        return md + "\nNot measured: run the command above, then the report.\n";
    };
    if let Some(summary) = summary(bridge) {
        md += &format!("\n{summary}\n");
    }
    for (runtime, heading) in RUNTIMES {
        md += &format!(
            "\n### {heading}\n\nMedians of {} runs of each.\n\n\
             | setup | variant | wall | CPU | wall ÷ `SyncIo`'s | CPU ÷ `SyncIo`'s |\n\
             | --- | --- | --- | --- | --- | --- |\n",
            bridge.rounds
        );
        for (job, title) in JOBS {
            let setup = bridge
                .setups
                .iter()
                .find(|s| s.runtime == runtime && s.job == job);
            let Some(setup) = setup else {
                md += &format!("| {title} | not measured | — | — | — | — |\n");
                continue;
            };
            let reference = setup.variant(VARIANTS[0].0);
            for (id, label) in VARIANTS {
                let Some(it) = setup.variant(id) else {
                    md += &format!("| {title} | {label} | not measured | — | — | — |\n");
                    continue;
                };
                let by = |of: fn(&_) -> f64| match reference {
                    Some(reference) if id != VARIANTS[0].0 => ratio(of(it) / of(reference)),
                    _ => "—".into(),
                };
                let (wall, cpu) = (time(it.wall_ns), time(it.cpu_ns));
                let (wall_by, cpu_by) = (by(|v| v.wall_ns), by(|v| v.cpu_ns));
                md += &format!("| {title} | {label} | {wall} | {cpu} | {wall_by} | {cpu_by} |\n");
            }
        }
    }
    md
}

/// The README's sentence: the range of `SyncIoBridge` ÷ `SyncIo` over every setup measured, in
/// wall time and in CPU time.
pub fn summary(bridge: &Bridge) -> Option<String> {
    let of = |measure: fn(&BridgeSetup, &str) -> Option<f64>| {
        let ratios = bridge.setups.iter().filter_map(|setup| {
            Some(measure(setup, "sync_io_bridge")? / measure(setup, "awaitlet")?)
        });
        ratios.fold(None, |range: Option<(f64, f64)>, r| {
            Some(range.map_or((r, r), |(low, high)| (low.min(r), high.max(r))))
        })
    };
    let (wall, cpu) = (
        of(|setup, id| Some(setup.variant(id)?.wall_ns))?,
        of(|setup, id| Some(setup.variant(id)?.cpu_ns))?,
    );
    let range = |(low, high): (f64, f64)| format!("{}–{}×", digits(low), digits(high));
    let setups = bridge.setups.len();
    Some(if wall.0 >= 1.0 && cpu.0 >= 1.0 {
        format!(
            "**`SyncIo` is {} faster than `SyncIoBridge` in wall time depending on setup, and uses \
             {} less CPU time** (over the {setups} setups below).",
            range(wall),
            range(cpu)
        )
    } else {
        format!(
            "**`SyncIoBridge` takes {} the wall time of `SyncIo` depending on setup, and {} its CPU \
             time** (over the {setups} setups below).",
            range(wall),
            range(cpu)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use awaitlet_benches::results::BridgeVariant;

    fn setup(runtime: &str, job: &str, walls: [f64; 3], cpus: [f64; 3]) -> BridgeSetup {
        let ids = VARIANTS.map(|(id, _)| id);
        let variants = ids.iter().zip(walls.iter().zip(cpus));
        BridgeSetup {
            runtime: runtime.into(),
            job: job.into(),
            ops: 1000,
            variants: variants
                .map(|(id, (&wall_ns, cpu_ns))| BridgeVariant {
                    id: id.to_string(),
                    wall_ns,
                    cpu_ns,
                })
                .collect(),
        }
    }

    #[test]
    fn the_tables_give_ratios_to_sync_io_and_the_sentence_their_range() {
        let bridge = Bridge {
            rounds: 5,
            setups: vec![
                setup(
                    "current_thread",
                    "read_64b",
                    [10.0, 9.0, 95.0],
                    [10.0, 9.0, 190.0],
                ),
                setup(
                    "multi_thread",
                    "pingpong",
                    [1000.0, 900.0, 300_000.0],
                    [1000.0, 900.0, 500_000.0],
                ),
            ],
        };
        let md = section(Some(&bridge));
        for line in [
            "| 64 B reads of 128 MiB, per read | `SyncIo` | 10.0 ns | 10.0 ns | — | — |\n",
            "| 64 B reads of 128 MiB, per read | `SyncIoBridge` | 95.0 ns | 190 ns | 9.50× | 19.0× |\n",
            "| 8-byte ping-pong, per round trip | native async (`AsyncReadExt`) | 900 ns | 900 ns | 0.900× | 0.900× |\n",
            "| 8 KiB reads of 128 MiB, per read | not measured | — | — | — | — |\n",
            "**`SyncIo` is 9.50–300× faster than `SyncIoBridge` in wall time depending on setup, \
             and uses 19.0–500× less CPU time** (over the 2 setups below).",
        ] {
            assert!(md.contains(line), "no {line:?} in\n{md}");
        }
        let slower = Bridge {
            rounds: 5,
            setups: vec![setup(
                "current_thread",
                "read_8k",
                [10.0, 9.0, 9.0],
                [10.0, 9.0, 12.0],
            )],
        };
        let sentence = summary(&slower).unwrap();
        assert!(
            sentence.starts_with("**`SyncIoBridge` takes 0.900–0.900× the wall time"),
            "{sentence}"
        );
        assert!(section(None).contains("Not measured"));
    }
}

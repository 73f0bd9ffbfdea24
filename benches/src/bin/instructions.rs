//! `cargo run --profile bench -p awaitlet-benches --bin instructions [GROUP | GROUP/VARIANT ...]`:
//! instructions per operation of each micro-benchmark workload, counted by callgrind, into
//! `target/awaitlet-instructions/instructions.json`, which `--bin report` prints beside each
//! median.
//!
//! For each variant it runs itself twice under `valgrind --tool=callgrind --cache-sim=no`, once
//! short and once long (`--workload GROUP --variant VARIANT --iters N`: just run the workload N
//! times), and divides the difference of the two runs' instruction totals by the difference of
//! their operations. Setup and teardown (building a runtime, spawning the task that loops, valgrind
//! starting the process) are the same in both runs and cancel; what is left is the steady cost of
//! one operation, on every thread of the process. Unlike a time, it does not move with load on the
//! machine, so it can tell apart changes of a few instructions.
//!
//! Given groups (`ready`) or variants (`ready/awaitlet`), it measures only those and keeps the
//! other counts of the file.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use awaitlet_benches::bridge::{Client, Flavor, Job, Setup};
use awaitlet_benches::results::{self, Count, Instructions};
use awaitlet_benches::{
    adapters, current_thread_runtime, multi_thread_runtime, pending_once, pingpong, portals, ready,
    roundtrip, tasks,
};
use tokio::task::LocalSet;

/// One variant of one benchmark group, as the child process runs it.
struct Workload {
    /// The group's id in `benchmarks.toml`.
    id: &'static str,
    variant: &'static str,
    /// Operations of the short run and of the long run: enough that the difference is millions of
    /// instructions, few enough that callgrind (some 50 times slower than the CPU) takes seconds.
    ops: [u64; 2],
    /// Does that many operations, in the benchmark's setup (the time it returns is not used).
    run: fn(u64) -> Duration,
}

/// Ops for workloads of about a hundred instructions an operation, and for those that go through
/// another thread (thousands, and callgrind runs one thread at a time).
const FAST: [u64; 2] = [20_000, 220_000];
const THREADS: [u64; 2] = [500, 5_500];

/// Every workload measured, in the order of `benchmarks.toml`. Each `run` builds what it needs.
const WORKLOADS: &[Workload] = &[
    Workload {
        id: "ready",
        variant: "awaitlet",
        ops: [100_000, 1_100_000],
        run: ready::under_awaitlet,
    },
    Workload {
        id: "ready",
        variant: "native",
        ops: [100_000, 1_100_000],
        run: ready::native,
    },
    Workload {
        id: "pending_once",
        variant: "awaitlet",
        ops: FAST,
        run: |n| pending_once::under_awaitlet(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "pending_once",
        variant: "native",
        ops: FAST,
        run: |n| pending_once::native(&current_thread_runtime(), &LocalSet::new(), n),
    },
    // Multiples of the 16 tasks, which split the operations between them.
    Workload {
        id: "pending_once_tasks",
        variant: "awaitlet",
        ops: [16_000, 176_000],
        run: |n| {
            tasks::pending_once::under_awaitlet(&tasks::tokio_main_runtime(), &LocalSet::new(), n)
        },
    },
    Workload {
        id: "pending_once_tasks",
        variant: "native",
        ops: [16_000, 176_000],
        run: |n| tasks::pending_once::native(&tasks::tokio_main_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "roundtrip",
        variant: "awaitlet",
        ops: FAST,
        run: |n| roundtrip::under_awaitlet(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "roundtrip",
        variant: "tokio_spawn",
        ops: FAST,
        run: |n| roundtrip::tokio_spawn(&current_thread_runtime(), n),
    },
    Workload {
        id: "roundtrip",
        variant: "thread_bridge",
        ops: THREADS,
        run: |n| roundtrip::thread_bridge(&multi_thread_runtime(), n),
    },
    Workload {
        id: "pingpong",
        variant: "awaitlet",
        ops: FAST,
        run: |n| pingpong::under_awaitlet(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "pingpong",
        variant: "native",
        ops: FAST,
        run: |n| pingpong::native(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "pingpong",
        variant: "thread_bridge",
        ops: THREADS,
        run: |n| pingpong::thread_bridge(&multi_thread_runtime(), n),
    },
    Workload {
        id: "pingpong_tasks",
        variant: "awaitlet",
        ops: FAST,
        run: |n| tasks::pingpong::under_awaitlet(&tasks::tokio_main_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "pingpong_tasks",
        variant: "native",
        ops: FAST,
        run: |n| tasks::pingpong::native(&tasks::tokio_main_runtime(), &LocalSet::new(), n),
    },
    // 64-byte reads: 1 MiB and 11 MiB through the pipe.
    Workload {
        id: "sync_io_read_64b",
        variant: "awaitlet",
        ops: [16_384, 180_224],
        run: |n| read_64b(Client::SyncIo, n),
    },
    Workload {
        id: "sync_io_read_64b",
        variant: "native",
        ops: [16_384, 180_224],
        run: |n| read_64b(Client::Native, n),
    },
    Workload {
        id: "sync_io_read_64b",
        variant: "sync_io_bridge",
        ops: [16_384, 180_224],
        run: |n| read_64b(Client::SyncIoBridge, n),
    },
    Workload {
        id: "iter",
        variant: "awaitlet",
        ops: [100_000, 1_100_000],
        run: adapters::iter::under_awaitlet,
    },
    Workload {
        id: "iter",
        variant: "native",
        ops: [100_000, 1_100_000],
        run: adapters::iter::native,
    },
    Workload {
        id: "portal_awaitlet",
        variant: "awaitlet",
        ops: FAST,
        run: |n| portals::awaitlet_mid_poll(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "portal_awaitlet",
        variant: "native",
        ops: FAST,
        run: |n| pending_once::native(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "portal_native",
        variant: "in_portal",
        ops: FAST,
        run: |n| portals::native_in_portal(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "portal_native",
        variant: "outside",
        ops: FAST,
        run: |n| pending_once::native(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "portal_roundtrip",
        variant: "portal",
        ops: FAST,
        run: |n| portals::roundtrip(&current_thread_runtime(), &LocalSet::new(), n),
    },
    Workload {
        id: "portal_roundtrip",
        variant: "async_def",
        ops: FAST,
        run: |n| roundtrip::under_awaitlet(&current_thread_runtime(), &LocalSet::new(), n),
    },
];

/// `reads` reads of 64 bytes, as the `sync_io_read_64b` group does them.
fn read_64b(client: Client, reads: u64) -> Duration {
    let job = Job::Read {
        size: 64,
        total: 64 * reads as usize,
    };
    Setup::new(Flavor::CurrentThread).run(client, job).wall
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--workload") => child(&args),
        _ => parent(&args),
    };
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    eprintln!("instructions: {error}");
    ExitCode::FAILURE
}

/// `--workload GROUP --variant VARIANT --iters N`: runs that workload, under valgrind.
fn child(args: &[String]) -> Result<(), String> {
    let usage = || "usage: instructions --workload GROUP --variant VARIANT --iters N".to_string();
    let [_, id, flag_variant, variant, flag_iters, iters] = args else {
        return Err(usage());
    };
    if (flag_variant.as_str(), flag_iters.as_str()) != ("--variant", "--iters") {
        return Err(usage());
    }
    let iters = iters.parse().map_err(|e| format!("--iters {iters}: {e}"))?;
    let workload = WORKLOADS
        .iter()
        .find(|w| w.id == id && w.variant == variant);
    let workload = workload.ok_or_else(|| format!("no workload `{id}/{variant}`"))?;
    (workload.run)(iters);
    Ok(())
}

/// Measures every workload that `filters` names (all when it is empty) and writes the file.
fn parent(filters: &[String]) -> Result<(), String> {
    let valgrind = Command::new("valgrind").arg("--version").output();
    let valgrind = valgrind.map_err(|e| {
        format!(
            "cannot run `valgrind` ({e}): instruction counts need `valgrind --tool=callgrind`; \
             install valgrind (Debian and Ubuntu: `apt-get install valgrind`)"
        )
    })?;
    let chosen = |w: &&Workload| {
        let name = format!("{}/{}", w.id, w.variant);
        filters.is_empty() || filters.iter().any(|f| *f == w.id || *f == name)
    };
    let chosen: Vec<&Workload> = WORKLOADS.iter().filter(chosen).collect();
    if chosen.is_empty() {
        return Err(format!("no workload is named by {filters:?}"));
    }
    let path = results::instructions_path(&results::target_dir());
    // Measuring some variants keeps the counts of the others.
    let mut file: Instructions = results::read(&path)?.unwrap_or_default();
    file.valgrind = String::from_utf8_lossy(&valgrind.stdout).trim().to_string();
    let outputs = tempfile::tempdir().map_err(|e| format!("cannot make a temporary dir: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    for workload in chosen {
        let count = measure(&exe, outputs.path(), workload)?;
        println!(
            "{}/{}: {:.1} instructions per operation ({} and {} in all, at {} and {} operations)",
            count.id,
            count.variant,
            count.per_op,
            count.total[0],
            count.total[1],
            count.ops[0],
            count.ops[1]
        );
        file.counts
            .retain(|c| (&c.id, &c.variant) != (&count.id, &count.variant));
        file.counts.push(count);
    }
    // In the order of the workloads, whatever order the runs came in.
    let place = |c: &Count| {
        WORKLOADS
            .iter()
            .position(|w| (w.id, w.variant) == (&c.id, &c.variant))
    };
    file.counts.sort_by_key(|c| place(c).unwrap_or(usize::MAX));
    results::write(&path, &file)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Runs `workload` at both lengths under callgrind, its output files in `outputs`.
fn measure(exe: &Path, outputs: &Path, workload: &Workload) -> Result<Count, String> {
    let mut total = [0; 2];
    for (total, ops) in total.iter_mut().zip(workload.ops) {
        let out = outputs.join(format!("{}.{}.{ops}.out", workload.id, workload.variant));
        let run = Command::new("valgrind")
            .args(["--tool=callgrind", "--cache-sim=no"])
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(exe)
            .args(["--workload", workload.id, "--variant", workload.variant])
            .args(["--iters", &ops.to_string()])
            .output();
        let name = format!("{}/{} at {ops}", workload.id, workload.variant);
        let run = run.map_err(|e| format!("cannot run valgrind for {name}: {e}"))?;
        if !run.status.success() {
            let stderr = String::from_utf8_lossy(&run.stderr);
            return Err(format!(
                "{name} failed under callgrind ({}):\n{stderr}",
                run.status
            ));
        }
        let text = std::fs::read_to_string(&out);
        let text = text.map_err(|e| format!("cannot read {}: {e}", out.display()))?;
        *total =
            summary(&text).ok_or_else(|| format!("no `summary:` line in {}", out.display()))?;
    }
    Ok(Count {
        id: workload.id.into(),
        variant: workload.variant.into(),
        per_op: per_op(total, workload.ops),
        ops: workload.ops,
        total,
    })
}

/// The process's instruction count: the first event of the `summary:` (or `totals:`) line of a
/// callgrind output file; with `--cache-sim=no` that event is `Ir`, the only one.
fn summary(callgrind_out: &str) -> Option<u64> {
    let line = callgrind_out.lines().find_map(|line| {
        (line.strip_prefix("summary:")).or_else(|| line.strip_prefix("totals:"))
    })?;
    line.split_whitespace().next()?.parse().ok()
}

/// (Ir(long) − Ir(short)) / (ops(long) − ops(short)).
fn per_op(total: [u64; 2], ops: [u64; 2]) -> f64 {
    (total[1] as f64 - total[0] as f64) / (ops[1] - ops[0]) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_runs_and_is_a_variant_of_benchmarks_toml() {
        let spec: toml::Table = toml::from_str(include_str!("../../benchmarks.toml")).unwrap();
        let groups = spec["group"].as_array().unwrap();
        for workload in WORKLOADS {
            let name = format!("{}/{}", workload.id, workload.variant);
            let group = groups
                .iter()
                .find(|g| g["id"].as_str() == Some(workload.id));
            let variants = group.unwrap_or_else(|| panic!("{name}"))["variants"].as_array();
            let known = variants
                .unwrap()
                .iter()
                .any(|v| v["id"].as_str() == Some(workload.variant));
            assert!(known, "{name} is not in benchmarks.toml");
            assert!(workload.ops[0] < workload.ops[1], "{name}");
            // 16 operations: a multiple of `pending_once_tasks`' tasks, and quick in debug.
            (workload.run)(16);
        }
    }

    #[test]
    fn the_count_is_the_difference_per_operation() {
        // As callgrind 3.19 writes the end of its output file.
        let short = "events: Ir\nfn=(1) main\n0 5\nsummary: 1500000\n\n\ntotals: 1500000\n";
        let long = "events: Ir\ntotals: 3500000\n";
        let total = [summary(short).unwrap(), summary(long).unwrap()];
        assert_eq!(total, [1_500_000, 3_500_000]);
        assert_eq!(per_op(total, [10_000, 110_000]), 20.0);
        assert_eq!(summary("events: Ir\n"), None);
    }
}

//! `SyncIo` against `SyncIoBridge` and native async, on a current-thread and on a multi-thread
//! runtime, in wall time and process CPU time: bulk reads of 128 MiB in 64 B and 8 KiB pieces,
//! and an 8-byte ping-pong (the setups of `awaitlet_benches::bridge`).
//!
//! `cargo bench -p awaitlet-benches --bench bridge` prints a table and writes
//! `target/awaitlet-bridge/bridge.json`, which `--bin report` reads.
//!
//! Not criterion: each run takes from milliseconds to seconds and needs both clocks. Per setup,
//! each variant runs once to warm up, then [`ROUNDS`] times, the variants taking turns in an order
//! that rotates every round, so that a burst of load on the machine hits all of them; the figures
//! are the medians of the rounds.

use std::process::ExitCode;

use awaitlet_benches::adapters::TOTAL;
use awaitlet_benches::bridge::{Client, Flavor, Job, Setup};
use awaitlet_benches::clock::Spent;
use awaitlet_benches::results::{self, Bridge, BridgeSetup, BridgeVariant};

/// Measured runs of each variant per setup.
const ROUNDS: usize = 11;
/// Round trips per ping-pong run.
const PINGPONG_ROUNDS: u64 = 20_000;

const VARIANTS: [(&str, Client); 3] = [
    ("awaitlet", Client::SyncIo),
    ("native", Client::Native),
    ("sync_io_bridge", Client::SyncIoBridge),
];

fn main() -> ExitCode {
    // `cargo bench -p awaitlet-benches -- FILTER` passes criterion's filter to every target: run
    // only when no filter is given or one names this benchmark. (Flags such as `--bench` are not
    // filters.)
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let named = |filter: &String| "sync_io_bridge".contains(filter.trim_matches(['^', '/', '$']));
    if !filters.is_empty() && !filters.iter().any(named) {
        return ExitCode::SUCCESS;
    }
    let runtimes = [
        ("current_thread", Flavor::CurrentThread),
        ("multi_thread", Flavor::MultiThread),
    ];
    let jobs = [
        (
            "read_64b",
            Job::Read {
                size: 64,
                total: TOTAL,
            },
        ),
        (
            "read_8k",
            Job::Read {
                size: 8 << 10,
                total: TOTAL,
            },
        ),
        (
            "pingpong",
            Job::PingPong {
                rounds: PINGPONG_ROUNDS,
            },
        ),
    ];
    let mut setups = Vec::new();
    for (runtime, flavor) in runtimes {
        let setup = Setup::new(flavor);
        for (name, job) in jobs {
            let measured = measure(&setup, job);
            print_setup(runtime, name, &measured);
            setups.push(BridgeSetup {
                runtime: runtime.into(),
                job: name.into(),
                ops: job.ops(),
                variants: measured,
            });
        }
    }
    let path = results::bridge_path(&results::target_dir());
    let run = Bridge {
        rounds: ROUNDS,
        setups,
    };
    match results::write(&path, &run) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bridge: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The medians per operation of each variant doing `job` on `setup`.
fn measure(setup: &Setup, job: Job) -> Vec<BridgeVariant> {
    for (_, client) in VARIANTS {
        setup.run(client, job);
    }
    let mut runs: Vec<Vec<Spent>> = vec![Vec::new(); VARIANTS.len()];
    for round in 0..ROUNDS {
        for turn in 0..VARIANTS.len() {
            let which = (round + turn) % VARIANTS.len();
            runs[which].push(setup.run(VARIANTS[which].1, job));
        }
    }
    let per_op = |mut ns: Vec<f64>| {
        ns.sort_by(f64::total_cmp);
        ns[ns.len() / 2] / job.ops() as f64
    };
    let variants = VARIANTS.iter().zip(runs);
    let median = |((id, _), runs): (&(&str, Client), Vec<Spent>)| BridgeVariant {
        id: id.to_string(),
        wall_ns: per_op(runs.iter().map(|s| s.wall.as_nanos() as f64).collect()),
        cpu_ns: per_op(runs.iter().map(|s| s.cpu.as_nanos() as f64).collect()),
    };
    variants.map(median).collect()
}

fn print_setup(runtime: &str, job: &str, variants: &[BridgeVariant]) {
    for variant in variants {
        let (wall, cpu) = (variant.wall_ns, variant.cpu_ns);
        let id = &variant.id;
        println!(
            "{runtime:>14} {job:>8} {id:>14}: wall {wall:>10.1} ns  cpu {cpu:>10.1} ns per op"
        );
    }
}

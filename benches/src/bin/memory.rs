//! `cargo run --release -p awaitlet-benches --bin memory`: what a suspended coroutine costs in
//! memory under awaitlet, the floor of its design, `stackful` and `generator`, for the report's
//! memory table.
//!
//! For each contender, in a child process of its own:
//!
//! - resident memory per suspended coroutine: `VmRSS` before and after creating 10,000 coroutines
//!   that each suspend inside one pending await, divided by 10,000;
//! - how many it holds at this machine's `vm.max_map_count`: coroutines created and suspended
//!   until the first failure, or 1,000,000. A child, because a bridge may abort when a stack
//!   cannot be mapped; it prints its count as it goes, and the last count printed is the figure.
//!
//! Writes `<target dir>/awaitlet-peers/memory.json`, which `--bin report` reads.
//!
//! The children are this binary again: `memory --rss ID N` and `memory --hold ID CAP`.

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use awaitlet_benches::peers::memory::{CONTENDERS, hold, resident_per_coroutine};
use awaitlet_benches::peers::results::{self, MemoryResult, MemoryRun};

/// How many suspended coroutines the resident-memory figure divides by.
const FOR_RSS: u64 = 10_000;
/// Where counting stops if nothing failed first.
const CAP: u64 = 1_000_000;
/// How long a child may take: a process stuck at the mapping limit is killed.
const TIMEOUT: Duration = Duration::from_secs(300);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |text: &str| text.parse::<u64>().map_err(|e| format!("`{text}`: {e}"));
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => measure(),
        ["--rss", id, count] => number(count).map(|count| {
            println!("{}", resident_per_coroutine(id, count));
        }),
        ["--hold", id, cap] => number(cap).map(|cap| {
            // At the mapping limit, printing a panic (let alone its backtrace) may need a mapping
            // of its own and hang; the failure's message is printed below instead.
            std::panic::set_hook(Box::new(|_| {}));
            let (_, failure) = hold(id, cap, |count| println!("{count}"));
            if let Some(failure) = failure {
                println!("failed: {failure}");
            }
        }),
        _ => Err("usage: memory [--rss ID N | --hold ID CAP]".into()),
    };
    match result {
        // Without dropping what the children hold: that would only cancel every coroutine.
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("memory: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the children for every contender, prints the table and writes the JSON.
fn measure() -> Result<(), String> {
    let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .map_err(|e| format!("cannot read /proc/sys/vm/max_map_count: {e}"))?;
    let max_map_count = max_map_count
        .trim()
        .parse()
        .map_err(|e| format!("vm.max_map_count: {e}"))?;
    let mut contenders = Vec::new();
    for id in CONTENDERS {
        let (rss, _) = child(&["--rss", id, &FOR_RSS.to_string()])?;
        let rss_per_coroutine = rss
            .lines()
            .last()
            .and_then(|line| line.parse().ok())
            .ok_or_else(|| format!("`--rss {id}` printed no figure: {rss:?}"))?;
        let (counts, status) = child(&["--hold", id, &CAP.to_string()])?;
        let held = counts
            .lines()
            .rev()
            .find_map(|line| line.parse().ok())
            .unwrap_or(0);
        let failure = counts
            .lines()
            .find_map(|line| line.strip_prefix("failed: "));
        let stopped = match failure {
            Some(failure) => format!("panicked: {failure}"),
            None if held == CAP => "the cap".to_string(),
            None => format!("the process ended: {status}"),
        };
        println!(
            "{id:<10} {rss_per_coroutine:>10.0} B resident per coroutine, held {held:>9} ({stopped})"
        );
        contenders.push(MemoryResult {
            id: id.to_string(),
            rss_per_coroutine,
            held,
            stopped,
        });
    }
    let run = MemoryRun {
        measured: jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
        max_map_count,
        suspended_for_rss: FOR_RSS,
        cap: CAP,
        contenders,
    };
    let path = results::dir(&awaitlet_benches::results::target_dir()).join(results::MEMORY_FILE);
    awaitlet_benches::results::write(&path, &run)?;
    println!("vm.max_map_count {max_map_count}; wrote {}", path.display());
    Ok(())
}

/// Runs this binary with `args`; returns what it printed and how it ended, whatever that was,
/// killing it after [`TIMEOUT`].
fn child(args: &[&str]) -> Result<(String, String), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut child = Command::new(exe)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `memory {}`: {e}", args.join(" ")))?;
    let mut stdout = child.stdout.take().expect("a piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| format!("waiting for the child: {e}"))?
        {
            Some(status) => break status.to_string(),
            None if Instant::now() > deadline => {
                child
                    .kill()
                    .map_err(|e| format!("cannot kill the child: {e}"))?;
                child
                    .wait()
                    .map_err(|e| format!("waiting for the child: {e}"))?;
                break format!("killed after {} s", TIMEOUT.as_secs());
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    Ok((reader.join().expect("the reader thread"), status))
}

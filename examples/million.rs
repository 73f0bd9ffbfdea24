//! A million suspended coroutines on one thread: what a coroutine costs in memory and time.
//!
//! Each coroutine runs a sync function that blocks, as far as it can tell, on a
//! `tokio::sync::Notify`, through `awaitlet!`. All of them are spawned with `spawn_local` on one
//! current-thread runtime and run until they suspend there; then one `notify_waiters` wakes them
//! all and they finish. The program prints how long creating and finishing took per coroutine,
//! how much resident memory each suspended coroutine held, and, for comparison, the round trip of
//! an `async_def` whose stack comes from the per-thread pool.
//!
//! ```sh
//! cargo run --release --example million                      # 1,000,000 at 64 KiB
//! cargo run --release --example million -- --count 250000 --stack-size 1M
//! ```
//!
//! `--stack-size` takes bytes, or a number with `K` or `M` (binary units). When the process
//! reaches one of its limits first (`vm.max_map_count`, `ulimit -v`, memory), the error says which
//! and how to raise it; the program then finishes the coroutines it has and exits with status 1.

use std::cell::Cell;
use std::hint::black_box;
use std::io;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use awaitlet::{Builder, awaitlet};
use tokio::sync::Notify;
use tokio::task::{LocalSet, spawn_local};

/// What to run: how many coroutines, on stacks of what size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Config {
    count: usize,
    stack_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            count: 1_000_000,
            stack_size: 64 * 1024,
        }
    }
}

const USAGE: &str = "usage: million [--count N] [--stack-size BYTES|NK|NM]";

impl Config {
    fn from_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
        let mut config = Config::default();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or(format!("`{flag}` needs a value; {USAGE}"))
            };
            match flag.as_str() {
                "--count" => {
                    config.count = parse_count(&value()?)?;
                }
                "--stack-size" => config.stack_size = parse_size(&value()?)?,
                "--help" | "-h" => return Err(USAGE.to_string()),
                _ => return Err(format!("unexpected argument `{flag}`; {USAGE}")),
            }
        }
        Ok(config)
    }
}

/// `1000000` or `1_000_000` or `1,000,000`.
fn parse_count(text: &str) -> Result<usize, String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    match digits.parse() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err(format!(
            "`--count` takes a positive whole number, not `{text}`"
        )),
    }
}

/// `65536`, `64K`, `64KiB`, `1M`, `1MiB` (case-insensitive).
fn parse_size(text: &str) -> Result<usize, String> {
    let lower = text.to_ascii_lowercase();
    let (number, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => lower.split_at(at),
        None => (lower.as_str(), ""),
    };
    let unit = match unit {
        "" => 1,
        "k" | "kib" => 1024,
        "m" | "mib" => 1024 * 1024,
        _ => 0,
    };
    match number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(size) if size > 0 => Ok(size),
        _ => Err(format!(
            "`--stack-size` takes bytes, or a number with `K` or `M`, not `{text}`"
        )),
    }
}

/// What one run measured.
#[derive(Debug)]
struct Report {
    /// Coroutines that were created and suspended at once (fewer than asked after `error`).
    count: usize,
    /// The limit error that stopped creation early, if one did.
    error: Option<io::Error>,
    /// Spawning, starting and suspending all of them, each on a fresh stack.
    create: Duration,
    /// Waking them and running each to its end.
    finish: Duration,
    /// Resident memory that the suspended coroutines added, when the system says.
    resident: Option<u64>,
    /// Kernel mappings of the process while they were suspended, when the system says.
    mappings: Option<usize>,
    /// Round trips on a stack from the pool, and how long they took in all.
    round_trips: usize,
    round_trip_time: Duration,
}

/// The sync code every coroutine runs: it "blocks" until the gate opens.
fn wait_at(gate: &Notify, suspended: &Cell<usize>) -> usize {
    let notified = gate.notified();
    suspended.set(suspended.get() + 1);
    awaitlet!(notified);
    1
}

fn run(config: Config, progress: bool) -> io::Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = LocalSet::new();
    local.block_on(&runtime, async move {
        let builder = Builder::new().stack_size(config.stack_size);
        let gate = Rc::new(Notify::new());
        let suspended = Rc::new(Cell::new(0));
        let finished = Rc::new(Cell::new(0));
        let resident_before = resident_bytes();
        let mut progress = Progress::new(progress, config.count);

        let start = Instant::now();
        let mut error = None;
        let mut count = 0;
        while count < config.count {
            let (gate, mine, finished) = (gate.clone(), suspended.clone(), finished.clone());
            match builder.try_async_def(move || wait_at(&gate, &mine)) {
                Ok(coroutine) => {
                    spawn_local(async move {
                        let done = coroutine.await;
                        finished.set(finished.get() + done);
                    });
                    count += 1;
                }
                Err(stopped) => {
                    error = Some(stopped);
                    break;
                }
            }
            // Let the spawned tasks run to their suspension now and then, so that the run queue
            // does not hold a million tasks at once.
            if count.is_multiple_of(1024) {
                run_until(|| suspended.get() == count).await;
                progress.show("created", count);
            }
        }
        run_until(|| suspended.get() == count).await;
        let create = start.elapsed();
        progress.done("created", count);
        let resident = resident_bytes()
            .zip(resident_before)
            .map(|(now, before)| now.saturating_sub(before));
        let mappings = mappings();

        let start = Instant::now();
        gate.notify_waiters();
        while finished.get() < count {
            run_until(|| finished.get() == count).await;
            progress.show("finished", finished.get());
        }
        let finish = start.elapsed();
        progress.done("finished", count);

        let round_trips = count.min(1_000_000);
        black_box(builder.async_def(|| black_box(1)).await); // a stack into the pool
        let start = Instant::now();
        for _ in 0..round_trips {
            black_box(builder.async_def(|| black_box(1)).await);
        }
        let round_trip_time = start.elapsed();

        Ok(Report {
            count,
            error,
            create,
            finish,
            resident,
            mappings,
            round_trips,
            round_trip_time,
        })
    })
}

/// Yields to the other tasks until `done` holds.
async fn run_until(done: impl Fn() -> bool) {
    while !done() {
        tokio::task::yield_now().await;
    }
}

/// Progress lines on stderr, about one a second, for runs long enough to want them.
struct Progress {
    enabled: bool,
    total: usize,
    last: Instant,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Self {
        Progress {
            enabled: enabled && total >= 100_000,
            total,
            last: Instant::now(),
        }
    }

    fn show(&mut self, what: &str, done: usize) {
        if self.enabled && self.last.elapsed() >= Duration::from_secs(1) {
            eprintln!("  {what} {} of {}", thousands(done), thousands(self.total));
            self.last = Instant::now();
        }
    }

    fn done(&mut self, what: &str, done: usize) {
        if self.enabled {
            eprintln!("  {what} {}", thousands(done));
            self.last = Instant::now();
        }
    }
}

/// This process's resident memory in bytes (Linux: `VmRSS` in `/proc/self/status`).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's kernel mappings (Linux: `/proc/self/maps`, a line each).
fn mappings() -> Option<usize> {
    let maps = std::fs::read("/proc/self/maps").ok()?;
    Some(maps.iter().filter(|&&byte| byte == b'\n').count())
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration per item, in the unit that suits it.
fn per_item(total: Duration, items: usize) -> String {
    let nanos = total.as_nanos() as f64 / items.max(1) as f64;
    if nanos >= 1000.0 {
        format!("{:.2} µs", nanos / 1000.0)
    } else {
        format!("{nanos:.1} ns")
    }
}

fn print(config: Config, report: &Report) {
    println!(
        "{} coroutines with {} KiB stacks, suspended at once on one current-thread runtime",
        thousands(report.count),
        config.stack_size / 1024,
    );
    println!(
        "created and suspended: {:.2} s, {} per coroutine (each on a fresh stack)",
        report.create.as_secs_f64(),
        per_item(report.create, report.count),
    );
    match report.resident {
        Some(resident) => println!(
            "resident memory while suspended: {:.1} MiB more, {:.2} KiB per coroutine",
            resident as f64 / (1024.0 * 1024.0),
            resident as f64 / 1024.0 / report.count.max(1) as f64,
        ),
        None => println!("resident memory while suspended: not measured on this system"),
    }
    if let Some(mappings) = report.mappings {
        println!("kernel mappings of the process while suspended: {mappings}");
    }
    println!(
        "woken and finished: {:.2} s, {} per coroutine",
        report.finish.as_secs_f64(),
        per_item(report.finish, report.count),
    );
    println!(
        "round trip on a reused stack (create, run, finish): {} ({} in a row)",
        per_item(report.round_trip_time, report.round_trips),
        thousands(report.round_trips),
    );
}

fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(config, true) {
        Ok(report) => {
            if let Some(error) = &report.error {
                eprintln!(
                    "stopped at {} coroutines of {}: {error}",
                    thousands(report.count),
                    thousands(config.count)
                );
            }
            print(config, &report);
            if report.error.is_some() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("million: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Config, String> {
        Config::from_args(list.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn runs_a_few_thousand_coroutines_for_real() {
        let config = Config {
            count: 3000,
            stack_size: 64 * 1024,
        };
        let report = run(config, false).unwrap();
        assert!(report.error.is_none(), "{:?}", report.error);
        assert_eq!(report.count, 3000);
        assert_eq!(report.round_trips, 3000);
        // Each suspended coroutine holds at least the page its stack has touched.
        let resident = report.resident.expect("Linux reports resident memory");
        assert!(
            resident >= 3000 * 4096,
            "{resident} bytes for 3000 coroutines"
        );
        print(config, &report);
    }

    #[test]
    fn flags_set_the_count_and_the_stack_size() {
        assert_eq!(args(&[]), Ok(Config::default()));
        assert_eq!(
            args(&["--count", "250,000", "--stack-size", "1M"]),
            Ok(Config {
                count: 250_000,
                stack_size: 1 << 20
            })
        );
        assert_eq!(args(&["--stack-size", "64KiB"]).unwrap().stack_size, 65536);
        assert_eq!(args(&["--stack-size", "4096"]).unwrap().stack_size, 4096);
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        assert!(
            args(&["--count"])
                .unwrap_err()
                .contains("`--count` needs a value")
        );
        assert!(args(&["--count", "0"]).unwrap_err().contains("positive"));
        assert!(
            args(&["--stack-size", "12Q"])
                .unwrap_err()
                .contains("`12Q`")
        );
        assert!(
            args(&["--frobnicate"])
                .unwrap_err()
                .contains("unexpected argument")
        );
    }
}

//! `cargo run -p awaitlet-benches --bin report`: turns the output of
//! `cargo bench -p awaitlet-benches` into `BENCHMARKS.md` and `docs/benchmarks.svg` at the root of
//! the workspace.
//!
//! It reads criterion's median estimate of every variant
//! (`<criterion dir>/<group>/<variant>/new/estimates.json`), computes the ratio of each awaitlet
//! variant to each baseline from the same run, checks the targets of issue 3, and adds the numbers
//! of Python's awaitlet from `benches/python/results.json`. Both files are written whole.
//!
//! The criterion directory is found as criterion finds it: `$CRITERION_HOME`, else
//! `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use awaitlet_benches::echo::{CLIENTS, ROUNDS};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// What was benchmarked, and what issue 3 asks of it.

/// One benchmark group: an awaitlet variant and its baselines, measured in the same run.
struct Bench {
    /// Criterion's group id, also the key in the Python results.
    group: &'static str,
    /// The `[[bench]]` target that holds the group.
    target: &'static str,
    title: &'static str,
    /// What one measured operation is, in Markdown.
    what: &'static str,
    /// The operation the medians are given per ("await", "round trip", ...).
    per: &'static str,
    /// How many operations one criterion iteration is.
    ops_per_iteration: f64,
    awaitlet: Variant,
    baselines: &'static [Variant],
    targets: &'static [Target],
}

/// One function of a group.
#[derive(Clone, Copy)]
struct Variant {
    /// Criterion's function id.
    id: &'static str,
    label: &'static str,
    kind: Kind,
}

/// What a variant stands for, which sets its colour in the chart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Awaitlet,
    Native,
    Threads,
}

/// A target of issue 3.
struct Target {
    /// The target as issue 3 words it.
    text: &'static str,
    check: Check,
}

/// How a target is checked against the medians (per operation).
#[derive(Clone, Copy, Debug)]
enum Check {
    /// awaitlet − baseline ≤ `ns`.
    ExtraAtMost { baseline: &'static str, ns: f64 },
    /// awaitlet / baseline ≤ `ratio`.
    RatioAtMost { baseline: &'static str, ratio: f64 },
    /// baseline / awaitlet ≥ `factor`: awaitlet is that many times faster, or has at least that
    /// fraction of the baseline's throughput.
    SpeedAtLeast { baseline: &'static str, factor: f64 },
    /// awaitlet ≤ `ns`.
    AtMost { ns: f64 },
}

const fn variant(id: &'static str, label: &'static str, kind: Kind) -> Variant {
    Variant { id, label, kind }
}

const BENCHES: &[Bench] = &[
    Bench {
        group: "ready",
        target: "await",
        title: "`awaitlet!` of a ready future",
        what: "One `awaitlet!(std::future::ready(x))` from sync code, against `ready(x).await` in an \
               async block. The loop runs inside one coroutine (one async block), so creating the \
               coroutine is not measured: this is the fixed cost of `awaitlet!` itself.",
        per: "await",
        ops_per_iteration: 1.0,
        awaitlet: variant("awaitlet", "awaitlet!", Kind::Awaitlet),
        baselines: &[variant("native", "native .await", Kind::Native)],
        targets: &[Target {
            text: "extra cost of `awaitlet!` on a ready future over native `.await` ≤ 2 ns",
            check: Check::ExtraAtMost {
                baseline: "native",
                ns: 2.0,
            },
        }],
    },
    Bench {
        group: "pending_once",
        target: "await",
        title: "`awaitlet!` of a future that is pending once",
        what: "One `awaitlet!` of a future that returns `Pending` once (waking its task at once) and \
               then `Ready`, against `.await` of the same future, in a task spawned with \
               `spawn_local` on a `LocalSet` on a current-thread runtime. Each await goes once \
               through tokio's scheduler; under awaitlet it also suspends and resumes the coroutine.",
        per: "await",
        ops_per_iteration: 1.0,
        awaitlet: variant("awaitlet", "awaitlet!", Kind::Awaitlet),
        baselines: &[variant("native", "native .await", Kind::Native)],
        targets: &[Target {
            text: "`awaitlet!` on a pending-once future / native, in a LocalSet task ≤ 1.15×",
            check: Check::RatioAtMost {
                baseline: "native",
                ratio: 1.15,
            },
        }],
    },
    Bench {
        group: "roundtrip",
        target: "roundtrip",
        title: "`async_def` round trip",
        what: "One `async_def(|| black_box(1))` created, run to completion and finished, its stack \
               taken from and returned to the per-thread pool; against `tokio::spawn(async { .. })` \
               awaited on a current-thread runtime, and the thread bridge, \
               `spawn_blocking(move || handle.block_on(async { .. }))` awaited on a multi-thread \
               runtime. Each is awaited from a task, one at a time.",
        per: "round trip",
        ops_per_iteration: 1.0,
        awaitlet: variant("awaitlet", "async_def (pooled stack)", Kind::Awaitlet),
        baselines: &[
            variant("tokio_spawn", "tokio::spawn", Kind::Native),
            variant("thread_bridge", "spawn_blocking + block_on", Kind::Threads),
        ],
        targets: &[
            Target {
                text: "`async_def` round trip, pooled ≤ 60 ns",
                check: Check::AtMost { ns: 60.0 },
            },
            Target {
                text: "≥ 10× faster than `tokio::spawn`",
                check: Check::SpeedAtLeast {
                    baseline: "tokio_spawn",
                    factor: 10.0,
                },
            },
            Target {
                text: "≥ 100× faster than the thread bridge",
                check: Check::SpeedAtLeast {
                    baseline: "thread_bridge",
                    factor: 100.0,
                },
            },
        ],
    },
    Bench {
        group: "pingpong",
        target: "pingpong",
        title: "ping-pong over tokio mpsc(1) channels",
        what: "A native async producer sends a number over a tokio `mpsc::channel(1)` and waits for \
               it to come back over another; the consumer is native async, sync code under \
               `awaitlet!` (`awaitlet!(rx.recv())`, `awaitlet!(tx.send(v))` in an `async_def` \
               task; both tasks on a `LocalSet`), or the thread bridge (`blocking_recv` / \
               `blocking_send` in `spawn_blocking`, multi-thread runtime).",
        per: "round trip",
        ops_per_iteration: 1.0,
        awaitlet: variant("awaitlet", "sync consumer under awaitlet!", Kind::Awaitlet),
        baselines: &[
            variant("native", "native async consumer", Kind::Native),
            variant("thread_bridge", "spawn_blocking consumer", Kind::Threads),
        ],
        targets: &[
            Target {
                text: "ping-pong, sync consumer under `awaitlet!` / native ≥ 0.92",
                check: Check::SpeedAtLeast {
                    baseline: "native",
                    factor: 0.92,
                },
            },
            Target {
                text: "ping-pong, awaitlet / thread bridge ≥ 50×",
                check: Check::SpeedAtLeast {
                    baseline: "thread_bridge",
                    factor: 50.0,
                },
            },
        ],
    },
    Bench {
        group: "echo",
        target: "echo",
        title: "the echo synopsis at 1,000 clients",
        what: "1,000 concurrent clients, each with one loopback connection kept open for 100 round \
               trips (a line out, the line back), against a native tokio echo server on its own \
               thread. The awaitlet client is an `#[async_def]` fn calling the unchanged sync \
               middle layer `send_receive_logic`, whose bottom layer does tokio `TcpStream` I/O \
               with `awaitlet!`; the native client is async all the way down; the threaded client \
               is the original program, one OS thread per client with blocking `std::net` \
               sockets. Both async clients are `spawn_local` tasks on one current-thread runtime. \
               One criterion iteration is the whole workload; medians are per round trip.",
        per: "round trip",
        ops_per_iteration: (CLIENTS * ROUNDS) as f64,
        awaitlet: variant("awaitlet", "#[async_def] client", Kind::Awaitlet),
        baselines: &[
            variant("native", "native async client", Kind::Native),
            variant("threads", "thread per client", Kind::Threads),
        ],
        targets: &[Target {
            text: "echo at 1,000 clients, `#[async_def]` client / native async client ≥ 0.9",
            check: Check::SpeedAtLeast {
                baseline: "native",
                factor: 0.9,
            },
        }],
    },
];

// ---------------------------------------------------------------------------------------------
// Criterion's numbers.

/// Criterion's estimate of one variant: the median time per iteration and its 95% interval, in
/// nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    median: f64,
    lower: f64,
    upper: f64,
}

impl Estimate {
    fn per_op(self, ops: f64) -> Estimate {
        Estimate {
            median: self.median / ops,
            lower: self.lower / ops,
            upper: self.upper / ops,
        }
    }
}

/// Parses criterion's `estimates.json`.
fn parse_estimate(json: &str) -> Result<Estimate, String> {
    let value: Value = serde_json::from_str(json).map_err(|error| error.to_string())?;
    let median = &value["median"];
    let number = |value: &Value| {
        value
            .as_f64()
            .ok_or_else(|| "no median estimate in estimates.json".to_string())
    };
    Ok(Estimate {
        median: number(&median["point_estimate"])?,
        lower: number(&median["confidence_interval"]["lower_bound"])?,
        upper: number(&median["confidence_interval"]["upper_bound"])?,
    })
}

/// The medians of one run, per operation, by group and variant id.
#[derive(Default, Debug)]
struct Measurements {
    estimates: BTreeMap<(String, String), Estimate>,
    /// When the newest of them was written.
    newest: Option<SystemTime>,
    missing: Vec<String>,
}

impl Measurements {
    fn get(&self, group: &str, id: &str) -> Option<Estimate> {
        self.estimates
            .get(&(group.to_string(), id.to_string()))
            .copied()
    }

    fn read(criterion_dir: &Path) -> Measurements {
        let mut measurements = Measurements::default();
        for bench in BENCHES {
            for variant in bench.variants() {
                let path = criterion_dir
                    .join(bench.group)
                    .join(variant.id)
                    .join("new")
                    .join("estimates.json");
                let estimate = std::fs::read_to_string(&path)
                    .map_err(|error| error.to_string())
                    .and_then(|json| parse_estimate(&json));
                match estimate {
                    Ok(estimate) => {
                        let key = (bench.group.to_string(), variant.id.to_string());
                        let per_op = estimate.per_op(bench.ops_per_iteration);
                        measurements.estimates.insert(key, per_op);
                        if let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) {
                            measurements.newest = measurements.newest.max(Some(modified));
                        }
                    }
                    Err(error) => measurements
                        .missing
                        .push(format!("{}: {error}", path.display())),
                }
            }
        }
        measurements
    }
}

impl Bench {
    fn variants(&self) -> impl Iterator<Item = &Variant> {
        std::iter::once(&self.awaitlet).chain(self.baselines)
    }

    fn command(&self) -> String {
        format!(
            "cargo bench -p awaitlet-benches --bench {} -- '^{}/'",
            self.target, self.group
        )
    }
}

/// The outcome of one target.
#[derive(Debug, PartialEq)]
enum Verdict {
    Met(String),
    Missed(String),
    NotMeasured,
}

fn evaluate(bench: &Bench, check: Check, data: &Measurements) -> Verdict {
    let Some(awaitlet) = data.get(bench.group, bench.awaitlet.id) else {
        return Verdict::NotMeasured;
    };
    let awaitlet = awaitlet.median;
    let baseline = |id: &str| data.get(bench.group, id).map(|estimate| estimate.median);
    let (met, measured) = match check {
        Check::AtMost { ns } => (awaitlet <= ns, format_ns(awaitlet)),
        Check::ExtraAtMost { baseline: id, ns } => {
            let Some(base) = baseline(id) else {
                return Verdict::NotMeasured;
            };
            let extra = awaitlet - base;
            (extra <= ns, signed_ns(extra))
        }
        Check::RatioAtMost {
            baseline: id,
            ratio,
        } => {
            let Some(base) = baseline(id) else {
                return Verdict::NotMeasured;
            };
            let measured = awaitlet / base;
            (measured <= ratio, format!("{}×", three_digits(measured)))
        }
        Check::SpeedAtLeast {
            baseline: id,
            factor,
        } => {
            let Some(base) = baseline(id) else {
                return Verdict::NotMeasured;
            };
            let measured = base / awaitlet;
            (measured >= factor, format!("{}×", three_digits(measured)))
        }
    };
    if met {
        Verdict::Met(measured)
    } else {
        Verdict::Missed(measured)
    }
}

// ---------------------------------------------------------------------------------------------
// Python's awaitlet.

/// `benches/python/results.json`, as `bench_awaitlet.py` writes it.
#[derive(Debug, Default)]
struct PythonResults {
    json: Option<Value>,
}

impl PythonResults {
    fn read(path: &Path) -> Result<PythonResults, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(PythonResults {
                json: Some(serde_json::from_str(&text).map_err(|e| e.to_string())?),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(PythonResults::default())
            }
            Err(error) => Err(error.to_string()),
        }
    }

    fn field(&self, name: &str) -> String {
        self.json
            .as_ref()
            .and_then(|json| json.get(name))
            .map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "?".to_string())
    }

    /// The groups, in the file's order: (key, description, per, [(variant, label, median ns)]).
    fn groups(&self) -> Vec<PythonGroup> {
        let Some(groups) = self
            .json
            .as_ref()
            .and_then(|json| json.get("groups"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        groups
            .iter()
            .filter_map(|group| {
                let text = |key: &str| group.get(key)?.as_str().map(str::to_string);
                let variants = group
                    .get("variants")?
                    .as_array()?
                    .iter()
                    .filter_map(|variant| {
                        Some(PythonVariant {
                            id: variant.get("id")?.as_str()?.to_string(),
                            label: variant.get("label")?.as_str()?.to_string(),
                            median_ns: variant.get("median_ns")?.as_f64()?,
                        })
                    })
                    .collect();
                Some(PythonGroup {
                    group: text("group")?,
                    title: text("title")?,
                    per: text("per")?,
                    variants,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
struct PythonGroup {
    group: String,
    title: String,
    per: String,
    variants: Vec<PythonVariant>,
}

#[derive(Debug, Clone)]
struct PythonVariant {
    id: String,
    label: String,
    median_ns: f64,
}

// ---------------------------------------------------------------------------------------------
// Formatting.

/// A duration in nanoseconds, to three significant digits in a fitting unit.
fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", three_digits(value))
}

fn three_digits(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A difference in nanoseconds with its sign (`+1.50 ns`, `−0.20 ns`; `+0.00 ns` for nothing).
fn signed_ns(ns: f64) -> String {
    let rounded = (ns * 100.0).round() / 100.0;
    if rounded < 0.0 {
        format!("−{:.2} ns", -rounded)
    } else {
        format!("+{:.2} ns", rounded.abs())
    }
}

/// A time ratio to three significant digits, however small.
fn format_time_ratio(ratio: f64) -> String {
    if ratio >= 0.1 {
        format!("{}×", three_digits(ratio))
    } else {
        let digits = (2 - ratio.log10().floor() as i32).max(0) as usize;
        format!("{ratio:.digits$}×")
    }
}

/// How awaitlet compares with a baseline, in words.
fn comparison(awaitlet: f64, baseline: f64) -> String {
    let ratio = awaitlet / baseline;
    let difference = awaitlet - baseline;
    if difference.abs() < 0.005 {
        return "the same (±0.00 ns)".to_string();
    }
    let sign = if difference >= 0.0 { "+" } else { "−" };
    let difference = format!("{sign}{}", format_ns(difference.abs()));
    if ratio <= 1.0 {
        format!(
            "awaitlet {}× faster ({difference})",
            three_digits(1.0 / ratio)
        )
    } else {
        format!("awaitlet {}× slower ({difference})", three_digits(ratio))
    }
}

// ---------------------------------------------------------------------------------------------
// The machine.

#[derive(Debug)]
struct Machine {
    cpu: String,
    cores: String,
    memory: String,
    kernel: String,
    rustc: String,
}

impl Machine {
    fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let cores = std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|meminfo| {
                let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(format!("{:.1} GiB", kib / (1024.0 * 1024.0)))
            })
            .unwrap_or_else(|| "unknown".to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|release| format!("Linux {}", release.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_string());
        let rustc =
            std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
                .arg("-V")
                .output()
                .ok()
                .and_then(|output| String::from_utf8(output.stdout).ok())
                .map(|version| version.trim().to_string())
                .filter(|version| !version.is_empty())
                .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cpu,
            cores,
            memory,
            kernel,
            rustc,
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` for a time since the epoch.
fn format_utc(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (seconds / 86_400) as i64;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md

const SUITE_COMMAND: &str =
    "cargo bench -p awaitlet-benches && cargo run -p awaitlet-benches --bin report";

fn render_markdown(
    data: &Measurements,
    python: &PythonResults,
    machine: &Machine,
    generated: SystemTime,
) -> String {
    let mut md = String::new();
    let measured = data
        .newest
        .map(format_utc)
        .unwrap_or_else(|| "not measured yet".to_string());
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "<!-- Generated by `cargo run -p awaitlet-benches --bin report` from criterion's output; \
         do not edit by hand. -->\n"
    );
    md.push_str(
        "What awaitlet costs, measured against what a program would use instead: native \
         `async`/`.await`, and the thread bridge (`spawn_blocking` + `Handle::block_on`, or a \
         thread per client). Every benchmark group runs awaitlet and its baselines in the same \
         run of criterion, and every ratio below is between medians of that one run, so load on \
         the machine moves the ratios less than the absolute numbers. The targets are the ones \
         of issue 3, \"Performance: pooled stacks, an allocation-free hot path, and benchmarks\".\n\n",
    );
    let _ = writeln!(
        md,
        "Regenerate everything (a few minutes once built; the echo benchmark takes most of it):\n"
    );
    let _ = writeln!(md, "```sh\n{SUITE_COMMAND}\n```\n");
    md.push_str(
        "The workloads are in `benches/src/` (shared with `cargo test -p awaitlet-benches`, which \
         runs each of them once at a small size), the criterion targets in `benches/benches/`, \
         this report's generator in `benches/src/bin/report.rs`.\n\n",
    );
    md.push_str(
        "![Median time per operation of each benchmark, log scale](docs/benchmarks.svg)\n\n",
    );

    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {} |", machine.cpu);
    let _ = writeln!(md, "| cores (`nproc`) | {} |", machine.cores);
    let _ = writeln!(md, "| memory | {} |", machine.memory);
    let _ = writeln!(md, "| OS | {} |", machine.kernel);
    let _ = writeln!(md, "| compiler | {} |", machine.rustc);
    let _ = writeln!(md, "| measured | {measured} |");
    let _ = writeln!(md, "| report generated | {} |\n", format_utc(generated));
    md.push_str(
        "A shared machine with two cores: other work running at the same time shows up in the \
         absolute numbers, and in a ratio when it hit one variant of a group more than another. \
         The multi-threaded baselines (thread bridge, a thread per client) compete with the \
         benchmark's own threads for the two cores.\n\n",
    );

    let _ = writeln!(md, "## Targets\n");
    let _ = writeln!(md, "| benchmark | target (issue 3) | measured | met |");
    let _ = writeln!(md, "|---|---|---|---|");
    for bench in BENCHES {
        for target in bench.targets {
            let (measured, met) = match evaluate(bench, target.check, data) {
                Verdict::Met(measured) => (measured, "yes"),
                Verdict::Missed(measured) => (measured, "**no**"),
                Verdict::NotMeasured => ("—".to_string(), "not measured"),
            };
            let _ = writeln!(
                md,
                "| [{}](#{}) | {} | {measured} | {met} |",
                bench.group, bench.group, target.text
            );
        }
    }
    md.push('\n');

    for bench in BENCHES {
        render_bench(&mut md, bench, data, python);
    }

    render_python(&mut md, data, python);
    md.push_str(METHOD);

    if !data.missing.is_empty() {
        let _ = writeln!(md, "## Not measured\n");
        md.push_str("These criterion results were missing when the report was made:\n\n");
        for missing in &data.missing {
            let _ = writeln!(md, "- `{missing}`");
        }
        md.push('\n');
    }
    md
}

/// How the numbers are made, and how to profile one.
const METHOD: &str = "## Method

- Criterion runs the variants of a group one after the other in one process; each variant uses
  `iter_custom` and times only its measured loop, inside the task or coroutine that runs it, so
  building runtimes and spawning the driving task stay out of the figure. Medians are criterion's
  median point estimates (`target/criterion/<group>/<variant>/new/estimates.json`); the interval is
  criterion's 95% bootstrap interval of that median.
- Runtimes that do no I/O are built without tokio's I/O driver, so that waking the `block_on`
  future flips an atomic instead of writing to an eventfd: that system call would be added to
  every variant alike and hide the differences being measured.
- awaitlet's own settings are the defaults: 1 MiB stacks, a per-thread pool of finished stacks.
  In the echo benchmark 1,000 coroutines are alive at once, more than the pool keeps, so most of
  their stacks are mapped and unmapped on every iteration.
- The echo benchmark opens 1,000 loopback connections per iteration, 15 iterations per variant
  after one warm-up, and needs about 2,100 file descriptors. Its absolute numbers are dominated by
  the kernel's TCP stack, and they move with whatever else the machine is doing.

## Profiling

To see where the time of one benchmark goes, run its criterion executable under callgrind with
`--profile-time`, which runs that benchmark for a number of seconds without analysing it
(`[profile.bench]` keeps debug info for the symbols):

```sh
cargo bench -p awaitlet-benches --bench roundtrip --no-run   # prints target/release/deps/roundtrip-<hash>
valgrind --tool=callgrind target/release/deps/roundtrip-<hash> --bench --profile-time 5 '^roundtrip/awaitlet$'
callgrind_annotate --inclusive=no callgrind.out.<pid>
```

`perf stat` and `perf record` work the same way where the machine exposes hardware counters.
";

fn render_bench(md: &mut String, bench: &Bench, data: &Measurements, python: &PythonResults) {
    // The heading's anchor is the group id, which the targets table links to.
    let _ = writeln!(md, "## {}\n", bench.group);
    let _ = writeln!(md, "**{}.** {}\n", capitalize(bench.title), bench.what);
    let _ = writeln!(md, "```sh\n{}\n```\n", bench.command());
    let awaitlet = data.get(bench.group, bench.awaitlet.id);
    let _ = writeln!(
        md,
        "| variant | median per {} | 95% interval | awaitlet ÷ it | awaitlet against it |",
        bench.per
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for variant in bench.variants() {
        let estimate = data.get(bench.group, variant.id);
        let (median, interval) = match estimate {
            Some(e) => (
                format!("**{}**", format_ns(e.median)),
                format!("{} – {}", format_ns(e.lower), format_ns(e.upper)),
            ),
            None => ("not measured".to_string(), "—".to_string()),
        };
        let (ratio, against) = match (variant.kind, awaitlet, estimate) {
            (Kind::Awaitlet, _, _) => ("—".to_string(), "—".to_string()),
            (_, Some(awaitlet), Some(baseline)) => (
                format_time_ratio(awaitlet.median / baseline.median),
                comparison(awaitlet.median, baseline.median),
            ),
            _ => ("—".to_string(), "—".to_string()),
        };
        let _ = writeln!(
            md,
            "| {} (`{}/{}`) | {median} | {interval} | {ratio} | {against} |",
            variant.label, bench.group, variant.id
        );
    }
    md.push('\n');
    if bench.group == "echo"
        && let Some(awaitlet) = awaitlet
    {
        let _ = writeln!(
            md,
            "One iteration is {} clients × {ROUNDS} round trips; the awaitlet client took {} \
             for all of them.\n",
            thousands(CLIENTS),
            format_ns(awaitlet.median * bench.ops_per_iteration)
        );
    }
    for target in bench.targets {
        let line = match evaluate(bench, target.check, data) {
            Verdict::Met(measured) => format!("met, measured {measured}"),
            Verdict::Missed(measured) => format!("**missed**, measured {measured}"),
            Verdict::NotMeasured => "not measured".to_string(),
        };
        let _ = writeln!(md, "- Target: {}: {line}.", target.text);
    }
    if let Some(group) = python.groups().into_iter().find(|g| g.group == bench.group)
        && let (Some(rust), Some(py)) =
            (awaitlet, group.variants.iter().find(|v| v.id == "awaitlet"))
    {
        let _ = writeln!(
            md,
            "- Python's awaitlet, same workload: {} per {} ({}× Rust awaitlet's time; see \
             [Python](#python)).",
            format_ns(py.median_ns),
            group.per,
            three_digits(py.median_ns / rust.median)
        );
    }
    md.push('\n');
}

fn render_python(md: &mut String, data: &Measurements, python: &PythonResults) {
    let _ = writeln!(md, "## Python\n");
    let groups = python.groups();
    if groups.is_empty() {
        md.push_str(
            "No Python results: run `benches/python/bench_awaitlet.py` (see \
             `benches/python/README.md`), which writes `benches/python/results.json`.\n\n",
        );
        return;
    }
    let _ = writeln!(
        md,
        "The same workloads under Python's `awaitlet` {} (greenlet {}) with asyncio, Python {}, \
         measured {} on {} (`nproc` {}). Run by hand, not by `cargo bench`; see \
         `benches/python/README.md`:\n",
        python.field("awaitlet"),
        python.field("greenlet"),
        python.field("python"),
        python.field("date"),
        python.field("cpu"),
        python.field("nproc"),
    );
    let _ = writeln!(md, "```sh\n{}\n```\n", python.field("command"));
    let _ = writeln!(
        md,
        "| workload | variant | Python median | Python awaitlet ÷ it | Rust awaitlet, same workload | Rust awaitlet faster by |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for group in &groups {
        let rust = BENCHES
            .iter()
            .find(|bench| bench.group == group.group)
            .and_then(|bench| data.get(bench.group, bench.awaitlet.id));
        let python_awaitlet = group.variants.iter().find(|v| v.id == "awaitlet");
        for variant in &group.variants {
            let python_ratio = match python_awaitlet {
                Some(awaitlet) if variant.id != "awaitlet" => {
                    format_time_ratio(awaitlet.median_ns / variant.median_ns)
                }
                _ => "—".to_string(),
            };
            let (rust_cell, faster) = match rust {
                Some(rust) if variant.id == "awaitlet" => (
                    format_ns(rust.median),
                    format!("{}×", three_digits(variant.median_ns / rust.median)),
                ),
                _ => ("".to_string(), "".to_string()),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} per {} | {python_ratio} | {rust_cell} | {faster} |",
                group.title,
                variant.label,
                format_ns(variant.median_ns),
                group.per
            );
        }
    }
    md.push('\n');
}

/// `1000` as `1,000`.
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

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// docs/benchmarks.svg: horizontal bars, log scale, one block per benchmark.

/// One bar of the chart.
#[derive(Debug, Clone)]
struct Bar {
    label: String,
    ns: f64,
    colour: &'static str,
}

/// One block of bars under a heading.
#[derive(Debug, Clone)]
struct Block {
    heading: String,
    bars: Vec<Bar>,
}

const AWAITLET_COLOUR: &str = "#d9480f";
const NATIVE_COLOUR: &str = "#1c7ed6";
const THREADS_COLOUR: &str = "#868e96";
const PYTHON_AWAITLET_COLOUR: &str = "#ae3ec9";
const PYTHON_OTHER_COLOUR: &str = "#e599f7";

fn colour(kind: Kind) -> &'static str {
    match kind {
        Kind::Awaitlet => AWAITLET_COLOUR,
        Kind::Native => NATIVE_COLOUR,
        Kind::Threads => THREADS_COLOUR,
    }
}

fn chart_blocks(data: &Measurements, python: &PythonResults) -> Vec<Block> {
    let python = python.groups();
    BENCHES
        .iter()
        .filter_map(|bench| {
            let mut bars: Vec<Bar> = bench
                .variants()
                .filter_map(|variant| {
                    Some(Bar {
                        label: variant.label.to_string(),
                        ns: data.get(bench.group, variant.id)?.median,
                        colour: colour(variant.kind),
                    })
                })
                .collect();
            if let Some(group) = python.iter().find(|g| g.group == bench.group) {
                let awaitlet = group.variants.iter().find(|v| v.id == "awaitlet");
                bars.extend(awaitlet.map(|v| Bar {
                    label: "Python awaitlet".to_string(),
                    ns: v.median_ns,
                    colour: PYTHON_AWAITLET_COLOUR,
                }));
                // Python's native counterpart: `await` in a task, or `create_task` for a round trip.
                for (id, label) in [
                    ("native", "Python native asyncio"),
                    ("create_task", "Python asyncio create_task"),
                ] {
                    bars.extend(group.variants.iter().find(|v| v.id == id).map(|v| Bar {
                        label: label.to_string(),
                        ns: v.median_ns,
                        colour: PYTHON_OTHER_COLOUR,
                    }));
                }
            }
            if bars.is_empty() {
                return None;
            }
            Some(Block {
                heading: format!(
                    "{}: {}, per {}",
                    bench.group,
                    strip_code(bench.title),
                    bench.per
                ),
                bars,
            })
        })
        .collect()
}

fn strip_code(text: &str) -> String {
    text.replace('`', "")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `0.1 ns`, `1 ns`, `10 ns`, `100 ns`, `1 µs`, ... for 10^decade nanoseconds.
fn decade_label(decade: i32) -> String {
    let units = ["ns", "µs", "ms", "s"];
    let unit = (decade.max(0) / 3).min(3);
    let value = 10f64.powi(decade - unit * 3);
    format!("{value} {}", units[unit as usize])
}

fn render_svg(blocks: &[Block]) -> String {
    const WIDTH: f64 = 880.0;
    const LABEL_RIGHT: f64 = 250.0;
    const PLOT_LEFT: f64 = 262.0;
    const PLOT_RIGHT: f64 = 780.0;
    const ROW: f64 = 22.0;
    const BAR: f64 = 15.0;
    const HEADING: f64 = 30.0;
    const TOP: f64 = 92.0;

    let values = blocks.iter().flat_map(|b| b.bars.iter().map(|bar| bar.ns));
    let (min, max) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (min, max) = if min.is_finite() && min > 0.0 {
        (min, max)
    } else {
        (1.0, 1e3)
    };
    let first_decade = min.log10().floor() as i32;
    let last_decade = (max.log10().ceil() as i32).max(first_decade + 1);
    let x = |ns: f64| {
        let fraction =
            (ns.max(1e-3).log10() - first_decade as f64) / (last_decade - first_decade) as f64;
        PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT)
    };
    let rows: usize = blocks.iter().map(|b| b.bars.len()).sum();
    let plot_bottom = TOP + blocks.len() as f64 * HEADING + rows as f64 * ROW + 8.0;
    let height = plot_bottom + 44.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r##"<text x="20" y="28" font-size="16" font-weight="bold" fill="#212529">awaitlet benchmarks: median time per operation (log scale, shorter is faster)</text>"##
    );
    // Legend.
    let legend = [
        (AWAITLET_COLOUR, "awaitlet (Rust)"),
        (NATIVE_COLOUR, "native async (tokio)"),
        (THREADS_COLOUR, "OS threads / thread bridge"),
        (PYTHON_AWAITLET_COLOUR, "Python awaitlet"),
        (PYTHON_OTHER_COLOUR, "Python native asyncio"),
    ];
    let mut lx = 20.0;
    for (fill, text) in legend {
        let _ = writeln!(
            svg,
            r##"<rect x="{lx}" y="42" width="12" height="12" fill="{fill}"/><text x="{}" y="52" fill="#212529">{text}</text>"##,
            lx + 16.0
        );
        lx += 16.0 + text.len() as f64 * 6.6 + 22.0;
    }
    // Decade grid lines with labels above and below.
    for decade in first_decade..=last_decade {
        let gx = x(10f64.powi(decade));
        let label = decade_label(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{}" x2="{gx:.1}" y2="{plot_bottom}" stroke="#dee2e6"/>"##,
            TOP - 12.0
        );
        for y in [TOP - 16.0, plot_bottom + 16.0] {
            let _ = writeln!(
                svg,
                r##"<text x="{gx:.1}" y="{y}" text-anchor="middle" fill="#495057" font-size="11">{}</text>"##,
                xml_escape(&label)
            );
        }
    }
    let mut y = TOP;
    for block in blocks {
        y += HEADING;
        let _ = writeln!(
            svg,
            r##"<text x="20" y="{}" font-size="13" font-weight="bold" fill="#212529">{}</text>"##,
            y - 9.0,
            xml_escape(&block.heading)
        );
        for bar in &block.bars {
            let end = x(bar.ns).max(PLOT_LEFT + 1.0);
            let _ = writeln!(
                svg,
                r##"<text x="{LABEL_RIGHT}" y="{:.1}" text-anchor="end" fill="#343a40">{}</text>"##,
                y + BAR - 3.5,
                xml_escape(&bar.label)
            );
            let _ = writeln!(
                svg,
                r#"<rect x="{PLOT_LEFT}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{}"/>"#,
                end - PLOT_LEFT,
                bar.colour
            );
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" fill="#343a40">{}</text>"##,
                end + 5.0,
                y + BAR - 3.5,
                xml_escape(&format_ns(bar.ns))
            );
            y += ROW;
        }
    }
    let _ = writeln!(
        svg,
        r##"<text x="20" y="{}" fill="#868e96" font-size="11">cargo bench -p awaitlet-benches; cargo run -p awaitlet-benches --bin report (see BENCHMARKS.md)</text>"##,
        height - 8.0
    );
    svg.push_str("</svg>\n");
    svg
}

// ---------------------------------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the benches package sits in the workspace")
        .to_path_buf()
}

/// Where criterion wrote its results (see the module docs).
fn criterion_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    root.join("target").join("criterion")
}

fn main() -> ExitCode {
    let root = workspace_root();
    let criterion = criterion_dir(&root);
    let data = Measurements::read(&criterion);
    let python_path = root.join("benches").join("python").join("results.json");
    let python = match PythonResults::read(&python_path) {
        Ok(python) => python,
        Err(error) => {
            eprintln!("report: cannot read {}: {error}", python_path.display());
            return ExitCode::FAILURE;
        }
    };
    let markdown = render_markdown(&data, &python, &Machine::probe(), SystemTime::now());
    let svg = render_svg(&chart_blocks(&data, &python));

    let markdown_path = root.join("BENCHMARKS.md");
    let svg_path = root.join("docs").join("benchmarks.svg");
    let written = std::fs::create_dir_all(root.join("docs"))
        .and_then(|()| std::fs::write(&markdown_path, markdown))
        .and_then(|()| std::fs::write(&svg_path, svg));
    if let Err(error) = written {
        eprintln!("report: cannot write the report: {error}");
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {} and {}",
        markdown_path.display(),
        svg_path.display()
    );
    for bench in BENCHES {
        for target in bench.targets {
            let verdict = match evaluate(bench, target.check, &data) {
                Verdict::Met(measured) => format!("met ({measured})"),
                Verdict::Missed(measured) => format!("MISSED ({measured})"),
                Verdict::NotMeasured => "not measured".to_string(),
            };
            println!(
                "{:>13}: {}: {verdict}",
                bench.group,
                strip_code(target.text)
            );
        }
    }
    if data.missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "report: {} results missing from {} (run `cargo bench -p awaitlet-benches` first):",
            data.missing.len(),
            criterion.display()
        );
        for missing in &data.missing {
            eprintln!("  {missing}");
        }
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurements(values: &[(&str, &str, f64)]) -> Measurements {
        let mut data = Measurements::default();
        for &(group, id, ns) in values {
            data.estimates.insert(
                (group.to_string(), id.to_string()),
                Estimate {
                    median: ns,
                    lower: ns * 0.9,
                    upper: ns * 1.1,
                },
            );
        }
        data
    }

    fn bench(group: &str) -> &'static Bench {
        BENCHES.iter().find(|b| b.group == group).unwrap()
    }

    #[test]
    fn criterion_estimates_are_parsed() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.1},
            "median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":4.0,"upper_bound":6.0},"point_estimate":5.0,"standard_error":0.1}}"#;
        assert_eq!(
            parse_estimate(json).unwrap(),
            Estimate {
                median: 5.0,
                lower: 4.0,
                upper: 6.0
            }
        );
        assert!(parse_estimate("{}").is_err());
    }

    #[test]
    fn targets_are_checked_in_their_own_terms() {
        let data = measurements(&[
            ("ready", "awaitlet", 2.5),
            ("ready", "native", 1.0),
            ("roundtrip", "awaitlet", 40.0),
            ("roundtrip", "tokio_spawn", 300.0),
            ("pingpong", "awaitlet", 100.0),
            ("pingpong", "native", 95.0),
        ]);
        let ready = bench("ready");
        assert_eq!(
            evaluate(ready, ready.targets[0].check, &data),
            Verdict::Met("+1.50 ns".to_string())
        );
        let roundtrip = bench("roundtrip");
        assert_eq!(
            evaluate(roundtrip, roundtrip.targets[0].check, &data),
            Verdict::Met("40.0 ns".to_string())
        );
        assert_eq!(
            evaluate(roundtrip, roundtrip.targets[1].check, &data),
            Verdict::Missed("7.50×".to_string())
        );
        assert_eq!(
            evaluate(roundtrip, roundtrip.targets[2].check, &data),
            Verdict::NotMeasured
        );
        let pingpong = bench("pingpong");
        assert_eq!(
            evaluate(pingpong, pingpong.targets[0].check, &data),
            Verdict::Met("0.95×".to_string())
        );
    }

    #[test]
    fn durations_and_dates_are_formatted() {
        assert_eq!(format_ns(0.8765), "0.88 ns");
        assert_eq!(format_ns(46.7), "46.7 ns");
        assert_eq!(format_ns(27_803.0), "27.8 µs");
        assert_eq!(format_ns(1.04e9), "1.04 s");
        assert_eq!(signed_ns(-0.001), "+0.00 ns");
        assert_eq!(signed_ns(-0.2), "−0.20 ns");
        assert_eq!(signed_ns(1.5), "+1.50 ns");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(decade_label(-1), "0.1 ns");
        assert_eq!(decade_label(0), "1 ns");
        assert_eq!(decade_label(2), "100 ns");
        assert_eq!(decade_label(4), "10 µs");
        assert_eq!(comparison(50.0, 100.0), "awaitlet 2.00× faster (−50.0 ns)");
        assert_eq!(comparison(3.0, 2.0), "awaitlet 1.50× slower (+1.00 ns)");
        assert_eq!(comparison(0.672, 0.674), "the same (±0.00 ns)");
        assert_eq!(format_time_ratio(1.153), "1.15×");
        assert_eq!(format_time_ratio(0.0012567), "0.00126×");
        assert_eq!(format_time_ratio(0.036), "0.0360×");
        assert_eq!(
            format_utc(UNIX_EPOCH + std::time::Duration::from_secs(951_782_400 + 3_660)),
            "2000-02-29 01:01 UTC"
        );
    }

    #[test]
    fn the_report_covers_every_benchmark_and_the_python_numbers() {
        let data = measurements(&[("ready", "awaitlet", 2.5), ("ready", "native", 1.0)]);
        let python = PythonResults {
            json: Some(serde_json::json!({
                "python": "3.11", "awaitlet": "0.0.1", "greenlet": "3", "date": "today",
                "groups": [{"group": "ready", "title": "ready await", "per": "await",
                    "variants": [{"id": "awaitlet", "label": "awaitlet()", "median_ns": 950.0}]}]
            })),
        };
        let machine = Machine {
            cpu: "CPU".into(),
            cores: "2".into(),
            memory: "1 GiB".into(),
            kernel: "Linux".into(),
            rustc: "rustc".into(),
        };
        let md = render_markdown(&data, &python, &machine, UNIX_EPOCH);
        for bench in BENCHES {
            assert!(md.contains(&format!("## {}\n", bench.group)));
            assert!(md.contains(&bench.command()));
        }
        assert!(md.contains("| awaitlet! (`ready/awaitlet`) | **2.50 ns**"));
        assert!(
            md.contains("| ready await | awaitlet() | 950 ns per await | — | 2.50 ns | 380× |")
        );

        let svg = render_svg(&chart_blocks(&data, &python));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Python awaitlet"));
        assert_eq!(svg.matches("<rect").count(), 1 + 5 + 3);
    }
}

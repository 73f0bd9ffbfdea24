//! awaitlet against its peers (`stackful`, `generator`), the floor of its design and native async,
//! measured interleaved: criterion runs one function after another, so load that comes and goes
//! on the machine would land on some contenders and not others. Here every round runs one sample
//! of every contender of every workload, each round in another order (rotated by one), and each
//! contender's figures are the median and the minimum of its samples over the rounds, so that the
//! ratios the report takes compare samples of the same minutes.
//!
//! `cargo bench -p awaitlet-benches --bench peers [-- [--rounds N] [--sample-ms N]
//! [--iterations N] [--contender ID].. [WORKLOAD]..]`
//!
//! Writes `<target dir>/awaitlet-peers/peers.json`, which `--bin report` reads, when it ran every
//! workload and contender (a run of some only prints them). About two and a half minutes with the
//! defaults (11 rounds of 400 ms samples).
//!
//! `--iterations N` runs N operations a sample instead of calibrating, for instruction counts:
//! the difference of two `valgrind --tool=callgrind` runs of one contender at N and 2N, divided
//! by N, is what one operation costs it. The workloads are in
//! `awaitlet_benches::peers::workloads`.

use std::time::{Duration, Instant};

use awaitlet_benches::peers::results::{self, ContenderResult, PeersRun, WorkloadResult};
use awaitlet_benches::peers::workloads::{Contender, Env, Workload, workloads};

/// What a calibration run must last at least, to scale from.
const CALIBRATION: Duration = Duration::from_millis(20);

struct Options {
    rounds: usize,
    sample: Duration,
    /// Operations per sample, instead of calibrating to `sample`.
    iterations: Option<u64>,
    /// Workload ids to run (all when empty).
    only: Vec<String>,
    /// Contender ids to run (all when empty).
    contenders: Vec<String>,
}

fn options() -> Options {
    let mut options = Options {
        rounds: 11,
        sample: Duration::from_millis(400),
        iterations: None,
        only: Vec::new(),
        contenders: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> u64 {
            let value = args.next().and_then(|value| value.parse().ok());
            value.unwrap_or_else(|| panic!("`{name}` takes a number"))
        };
        match arg.as_str() {
            "--rounds" => options.rounds = number("--rounds").max(1) as usize,
            "--sample-ms" => options.sample = Duration::from_millis(number("--sample-ms")),
            "--iterations" => options.iterations = Some(number("--iterations").max(1)),
            "--contender" => options.contenders.extend(args.next()),
            // `--bench`, which `cargo bench` passes to every bench target, and criterion's options.
            flag if flag.starts_with('-') => {}
            workload => options.only.push(workload.to_string()),
        }
    }
    options
}

/// How many operations of `contender` take about `sample`.
fn calibrate(contender: &Contender<'_>, sample: Duration) -> u64 {
    let mut iterations = 1;
    loop {
        let took = (contender.run)(iterations);
        if took >= CALIBRATION {
            let scaled = iterations as f64 * sample.as_secs_f64() / took.as_secs_f64();
            return (scaled as u64).max(1);
        }
        iterations *= 4;
    }
}

fn main() {
    let options = options();
    let env = Env::new();
    let mut workloads: Vec<Workload<'_>> = workloads(&env);
    // Only a run of everything is written, so that the report never shows a partial run.
    let partial = !options.only.is_empty() || !options.contenders.is_empty();
    workloads.retain(|w| options.only.is_empty() || options.only.iter().any(|id| id == w.id));
    for workload in &mut workloads {
        let wanted =
            |id: &str| options.contenders.is_empty() || options.contenders.iter().any(|c| c == id);
        workload.contenders.retain(|contender| wanted(contender.id));
    }
    workloads.retain(|workload| !workload.contenders.is_empty());
    if workloads.is_empty() {
        println!("peers: no workload is named {:?}", options.only);
        return;
    }
    // Per workload, per contender: operations per sample, and samples in ns per operation.
    let mut iterations: Vec<Vec<u64>> = Vec::new();
    for workload in &workloads {
        let each = workload.contenders.iter();
        let calibrated = |c| {
            options
                .iterations
                .unwrap_or_else(|| calibrate(c, options.sample))
        };
        iterations.push(each.map(calibrated).collect());
    }
    let mut samples: Vec<Vec<Vec<f64>>> = workloads
        .iter()
        .map(|w| vec![Vec::new(); w.contenders.len()])
        .collect();
    let start = Instant::now();
    for round in 0..options.rounds {
        for (w, workload) in workloads.iter().enumerate() {
            let count = workload.contenders.len();
            for c in (0..count).map(|i| (i + round) % count) {
                let took = (workload.contenders[c].run)(iterations[w][c]);
                samples[w][c].push(took.as_nanos() as f64 / iterations[w][c] as f64);
            }
        }
        eprintln!("peers: round {} of {} done", round + 1, options.rounds);
    }
    let run = PeersRun {
        measured: jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
        rounds: options.rounds,
        workloads: workloads
            .iter()
            .zip(iterations.into_iter().zip(samples))
            .map(|(workload, (iterations, samples))| WorkloadResult {
                id: workload.id.into(),
                title: workload.title.into(),
                unit: workload.unit.into(),
                contenders: (workload
                    .contenders
                    .iter()
                    .zip(iterations.into_iter().zip(samples)))
                .map(|(contender, (iterations, samples))| summary(contender, iterations, samples))
                .collect(),
            })
            .collect(),
    };
    print(&run, start.elapsed());
    if partial {
        println!("(not written: a run of some workloads or contenders)");
        return;
    }
    let path = results::dir(&awaitlet_benches::results::target_dir()).join(results::PEERS_FILE);
    if let Err(error) = awaitlet_benches::results::write(&path, &run) {
        panic!("{error}");
    }
    println!("wrote {}", path.display());
}

fn summary(contender: &Contender<'_>, iterations: u64, samples_ns: Vec<f64>) -> ContenderResult {
    let mut sorted = samples_ns.clone();
    sorted.sort_by(f64::total_cmp);
    ContenderResult {
        id: contender.id.into(),
        iterations,
        median_ns: sorted[sorted.len() / 2],
        min_ns: sorted[0],
        samples_ns,
    }
}

/// The figures, as the report will show them, for the terminal.
fn print(run: &PeersRun, took: Duration) {
    println!("{} rounds in {:.0} s", run.rounds, took.as_secs_f64());
    for workload in &run.workloads {
        println!("\n{} (per {})", workload.id, workload.unit);
        let native = workload.contender("native").map(|c| c.median_ns);
        let floor = workload.contender("floor").map(|c| c.median_ns);
        for contender in &workload.contenders {
            let ratio = |base: Option<f64>| {
                base.map_or(String::new(), |b| format!("{:.3}", contender.median_ns / b))
            };
            println!(
                "  {:<15} median {:>12.2} ns  min {:>12.2} ns  ÷native {:>8}  ÷floor {:>8}",
                contender.id,
                contender.median_ns,
                contender.min_ns,
                ratio(native),
                ratio(floor),
            );
        }
    }
}

//! `cargo run -p awaitlet-benches --bin report`: criterion's output, as `benches/benchmarks.toml`
//! describes it, into `BENCHMARKS.md`, `docs/benchmarks.svg` and the README's table.
//!
//! Each variant's median and 95% interval come from criterion's
//! `<criterion dir>/<group>/<variant>/new/estimates.json`, found as criterion finds it:
//! `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.
//! A variant without one is reported as not measured.
//!
//! serde checks each field of the description; the tests check the names that refer to other
//! entries (variants, bench targets), since the description is built into the binary.

mod bridge;
mod chart;
mod instructions;
mod peers;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use serde::Deserialize;

/// The description of the benchmarks, built in so that the binary cannot drift from it.
const SPEC: &str = include_str!("../../../benchmarks.toml");
/// The README's table sits between these two lines.
const BEGIN: &str =
    "<!-- benchmark table: written by `cargo run -p awaitlet-benches --bin report` -->";
const END: &str = "<!-- end of benchmark table -->";

/// `benchmarks.toml`, whose header says what each field means.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    intro: String,
    machine: String,
    method: String,
    profiling: String,
    issues: BTreeMap<u32, String>,
    #[serde(rename = "group")]
    groups: Vec<Group>,
    /// Figures that are not criterion's, such as `examples/million`'s, written in by hand.
    #[serde(default, rename = "section")]
    sections: Vec<Section>,
    /// `--bench bridge`'s, when it has run.
    #[serde(skip)]
    bridge: Option<awaitlet_benches::results::Bridge>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    title: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    id: String,
    bench: String,
    title: String,
    unit: String,
    ops_per_iteration: Option<NonZeroU32>,
    iteration: Option<String>,
    issue: u32,
    about: String,
    #[serde(default)]
    python: Vec<String>,
    variants: Vec<Variant>,
    #[serde(default)]
    targets: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Variant {
    id: String,
    label: String,
    kind: Kind,
    /// Criterion's, per operation; `None` when it was not measured.
    #[serde(skip)]
    estimate: Option<Estimate>,
    /// Instructions per operation, from `--bin instructions`; `None` when not measured.
    #[serde(skip)]
    instructions: Option<f64>,
}

/// What a variant stands for; in this order in the chart's legend.
#[derive(Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Awaitlet,
    Native,
    Threads,
    Alternative,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    says: String,
    issue: Option<u32>,
    variant: Option<String>,
    measure: Measure,
    against: Option<String>,
    at_most: Option<f64>,
    at_least: Option<f64>,
}

#[derive(Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Measure {
    Time,
    ExtraTime,
    TimeRatio,
    Speedup,
}

/// Criterion's `estimates.json`, of which the report takes the median.
#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

/// A median and its 95% interval, in ns.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

/// `benches/python/results.json`, as `bench_awaitlet.py` writes it.
#[derive(Deserialize)]
struct Python {
    command: String,
    python: String,
    awaitlet: String,
    greenlet: String,
    cpu: String,
    nproc: u32,
    date: String,
    groups: Vec<PythonGroup>,
}

#[derive(Deserialize)]
struct PythonGroup {
    group: String,
    title: String,
    per: String,
    variants: Vec<PythonVariant>,
}

#[derive(Deserialize)]
struct PythonVariant {
    id: String,
    label: String,
    median_ns: f64,
}

impl Group {
    /// The variant the others are compared with: the first of kind `awaitlet`.
    fn reference(&self) -> &Variant {
        let awaitlet = self.variants.iter().find(|v| v.kind == Kind::Awaitlet);
        let none = || panic!("group `{}` has no `awaitlet` variant; add one", self.id);
        awaitlet.unwrap_or_else(none)
    }

    fn median(&self, id: &str) -> Option<f64> {
        let variant = self.variants.iter().find(|variant| variant.id == id);
        variant?.median()
    }

    fn ops(&self) -> f64 {
        self.ops_per_iteration.map_or(1.0, |ops| ops.get().into())
    }
}

impl Variant {
    fn median(&self) -> Option<f64> {
        Some(self.estimate?.point_estimate)
    }
}

impl Target {
    /// The measured value as the target words it, and whether it is met; `None` when a variant
    /// it needs was not measured.
    fn verdict(&self, group: &Group) -> Option<(String, bool)> {
        let value = group.median(self.variant.as_deref().unwrap_or(&group.reference().id))?;
        let against = match &self.against {
            Some(id) => group.median(id)?,
            None => f64::NAN, // `time`, which compares with nothing
        };
        let (measured, shown) = match self.measure {
            Measure::Time => (value, time(value)),
            Measure::ExtraTime => (value - against, format!("{:+.2} ns", value - against)),
            Measure::TimeRatio => (value / against, ratio(value / against)),
            Measure::Speedup => (against / value, ratio(against / value)),
        };
        let met = self.at_most.is_none_or(|bound| measured <= bound)
            && self.at_least.is_none_or(|bound| measured >= bound);
        Some((shown, met))
    }
}

impl Python {
    fn variant(&self, group: &str, id: &str) -> Option<&PythonVariant> {
        let group = self.groups.iter().find(|python| python.group == group)?;
        group.variants.iter().find(|variant| variant.id == id)
    }
}

fn main() -> ExitCode {
    let Err(error) = run() else {
        return ExitCode::SUCCESS;
    };
    eprintln!("report: {error}");
    ExitCode::FAILURE
}

fn run() -> Result<(), String> {
    let mut spec: Spec = toml::from_str(SPEC).map_err(|e| format!("benchmarks.toml: {e}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = awaitlet_benches::results::target_dir();
    let criterion = std::env::var_os("CRITERION_HOME").map(PathBuf::from);
    let measured = measure(&mut spec, &criterion.unwrap_or(target.join("criterion")))?;
    instructions::attach(&mut spec, &target)?;
    spec.bridge = bridge::read(&target)?;
    let read = |path: &str| {
        let text = std::fs::read_to_string(root.join(path));
        text.map_err(|e| format!("cannot read {path}: {e}"))
    };
    let python = serde_json::from_str(&read("benches/python/results.json")?);
    let python: Python = python.map_err(|e| format!("benches/python/results.json: {e}"))?;
    let peers = peers::load(&target)?;
    let readme = splice(&read("README.md")?, &readme_table(&spec, &python, &peers))?;
    let svg = chart::render(&spec, &python).map_err(|e| format!("cannot draw the chart: {e}"))?;
    let md = peers.insert_into(benchmarks_md(&spec, &python, measured));
    let paths = ["BENCHMARKS.md", "docs/benchmarks.svg", "README.md"];
    for (path, text) in paths.into_iter().zip([md, svg, readme]) {
        std::fs::write(root.join(path), text).map_err(|e| format!("cannot write {path}: {e}"))?;
        println!("wrote {path}");
    }
    for group in &spec.groups {
        for variant in group.variants.iter().filter(|v| v.estimate.is_none()) {
            eprintln!("report: `{}/{}` was not measured", group.id, variant.id);
        }
    }
    Ok(())
}

/// Reads each variant's estimate per operation from `dir`; returns when the newest was written.
fn measure(spec: &mut Spec, dir: &Path) -> Result<Option<SystemTime>, String> {
    let mut newest = None;
    for group in &mut spec.groups {
        let ops = group.ops();
        for variant in &mut group.variants {
            let path = dir.join(format!("{}/{}/new/estimates.json", group.id, variant.id));
            let Ok(json) = std::fs::read_to_string(&path) else {
                continue;
            };
            let error = |e| format!("{}: {e}", path.display());
            let Estimates { median: mut it } = serde_json::from_str(&json).map_err(error)?;
            it.point_estimate /= ops;
            it.confidence_interval.lower_bound /= ops;
            it.confidence_interval.upper_bound /= ops;
            variant.estimate = Some(it);
            newest = newest.max(path.metadata().and_then(|m| m.modified()).ok());
        }
    }
    Ok(newest)
}

/// `x` to three significant digits: `0.877`, `46.7`, `1000`.
fn digits(x: f64) -> String {
    let x: f64 = format!("{x:.2e}").parse().unwrap_or(x);
    let decimals = 2 - (x.abs().log10().floor() as i32).clamp(-3, 2);
    format!("{x:.*}", decimals as usize)
}

/// A time in the largest unit that leaves at least 1 of it: `(46.7, "ns")`, `(1.04, "s")`.
fn scaled(ns: f64) -> (f64, &'static str) {
    let units = [(1e9, "s"), (1e6, "ms"), (1e3, "µs")];
    // From where three digits round up to 1000 of the smaller unit.
    let unit = units.into_iter().find(|unit| ns.abs() >= unit.0 * 0.9995);
    let (size, unit) = unit.unwrap_or((1.0, "ns"));
    (ns / size, unit)
}

fn time(ns: f64) -> String {
    let (value, unit) = scaled(ns);
    format!("{} {unit}", digits(value))
}

fn ratio(ratio: f64) -> String {
    format!("{}×", digits(ratio))
}

fn benchmarks_md(spec: &Spec, python: &Python, measured: Option<SystemTime>) -> String {
    let mut md = format!(
        "# Benchmarks\n\n<!-- Generated by `cargo run -p awaitlet-benches --bin report` from \
         criterion's output and `benches/benchmarks.toml`; do not edit by hand. -->\n\n{}\n\n\
         ## Machine\n\n|  |  |\n| --- | --- |\n",
        spec.intro.trim()
    );
    for (name, value) in machine(measured) {
        md += &format!("| {name} | {value} |\n");
    }
    let issue = |(n, title): (&u32, &String)| format!("issue {n}, \"{title}\"");
    let issues: Vec<String> = spec.issues.iter().map(issue).collect();
    md += &format!(
        "\n{}\n\n## Targets\n\nThe targets come from {}.\n\n\
         | benchmark | target | issue | measured | met |\n| --- | --- | --- | --- | --- |\n",
        spec.machine.trim(),
        issues.join("; ")
    );
    for group in &spec.groups {
        for target in &group.targets {
            let (measured, met) = match target.verdict(group) {
                Some((measured, met)) => (measured, if met { "yes" } else { "**no**" }),
                None => ("—".into(), "not measured"),
            };
            let (id, says, issue) = (&group.id, &target.says, target.issue.unwrap_or(group.issue));
            md += &format!("| [{id}](#{id}) | {says} | {issue} | {measured} | {met} |\n");
        }
    }
    for group in &spec.groups {
        let (id, unit, awaitlet) = (&group.id, &group.unit, group.reference());
        let mut title = group.title.clone();
        if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let (about, bench) = (group.about.trim(), &group.bench);
        md += &format!(
            "\n## {id}\n\n**{title}.** {about}\n\n```sh\n\
             cargo bench -p awaitlet-benches --bench {bench} -- '^{id}/'\n```\n\n\
             | variant | median per {unit} | 95% interval | awaitlet ÷ it | {} |\n\
             | --- | --- | --- | --- | --- |\n",
            instructions::HEADING
        );
        for variant in &group.variants {
            let name = format!("{} (`{id}/{}`)", variant.label, variant.id);
            let Some(it) = variant.estimate else {
                let count = instructions::cell(variant.instructions);
                md += &format!("| {name} | not measured | — | — | {count} |\n");
                continue;
            };
            let (median, ci) = (it.point_estimate, it.confidence_interval);
            let (lower, upper) = (time(ci.lower_bound), time(ci.upper_bound));
            let by = awaitlet.median().filter(|_| variant.id != awaitlet.id);
            let by = by.map_or("—".into(), |awaitlet| ratio(awaitlet / median));
            let count = instructions::cell(variant.instructions);
            md += &format!(
                "| {name} | **{}** | {lower} – {upper} | {by} | {count} |\n",
                time(median)
            );
        }
        if let (Some(iteration), Some(median)) = (&group.iteration, awaitlet.median()) {
            let (all, awaitlet) = (time(median * group.ops()), &awaitlet.id);
            let took = format!("`{id}/{awaitlet}` took {all} for all of them");
            md += &format!("\nOne iteration is {iteration}; {took}.\n");
        }
    }
    md += &bridge::section(spec.bridge.as_ref());
    for Section { title, text } in &spec.sections {
        md += &format!("\n## {title}\n\n{}\n", text.trim());
    }
    let p = python;
    md += &format!(
        "\n## Python\n\nThe same workloads under Python's `awaitlet` {} (greenlet {}) with asyncio, \
         Python {}, measured {} on {} (`nproc` {}). Run by hand, not by `cargo bench`; see \
         `benches/python/README.md`:\n\n```sh\n{}\n```\n\n\
         | workload | variant | median | Rust awaitlet faster by |\n| --- | --- | --- | --- |\n",
        p.awaitlet, p.greenlet, p.python, p.date, p.cpu, p.nproc, p.command,
    );
    for python in &python.groups {
        let rust = spec.groups.iter().find(|rust| rust.id == python.group);
        let rust = rust.and_then(|rust| rust.reference().median());
        for variant in &python.variants {
            let (title, label, median) = (&python.title, &variant.label, time(variant.median_ns));
            let faster = rust.map_or(String::new(), |rust| ratio(variant.median_ns / rust));
            md += &format!(
                "| {title} | {label} | {median} per {} | {faster} |\n",
                python.per
            );
        }
    }
    let (method, profiling) = (spec.method.trim(), spec.profiling.trim());
    md + &format!("\n## Method\n\n{method}\n\n## Profiling\n\n{profiling}\n")
}

/// The machine table, as far as Linux's `/proc` and `rustc -V` tell, and when it measured.
fn machine(measured: Option<SystemTime>) -> [(&'static str, String); 7] {
    let proc = |file: &str, key: &str| {
        let text = std::fs::read_to_string(Path::new("/proc").join(file)).ok()?;
        let line = text.lines().find_map(|line| line.strip_prefix(key));
        Some(line?.split_once(':')?.1.trim().to_string())
    };
    let memory = proc("meminfo", "MemTotal").and_then(|kb| kb.strip_suffix(" kB")?.parse().ok());
    let memory = memory.map(|kib: f64| format!("{:.1} GiB", kib / 1024.0 / 1024.0));
    let os = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok();
    let rustc = std::process::Command::new("rustc").arg("-V").output().ok();
    let rustc = rustc.and_then(|output| String::from_utf8(output.stdout).ok());
    let utc = |time: jiff::Timestamp| time.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let measured = measured.and_then(|time| jiff::Timestamp::try_from(time).ok());
    let cores = std::thread::available_parallelism();
    let rows = [
        ("CPU", proc("cpuinfo", "model name")),
        ("cores (`nproc`)", cores.ok().map(|cores| cores.to_string())),
        ("memory", memory),
        ("OS", os.map(|release| format!("Linux {}", release.trim()))),
        ("compiler", rustc.map(|version| version.trim().to_string())),
        ("measured", measured.map(utc)),
        ("report generated", Some(utc(jiff::Timestamp::now()))),
    ];
    rows.map(|(name, value)| (name, value.unwrap_or_else(|| "unknown".into())))
}

/// The README's table: per group, the median of its awaitlet variant, of its first variant of
/// each other kind, of Python's awaitlet, and the peers run's columns.
fn readme_table(spec: &Spec, python: &Python, peers: &peers::Peers) -> String {
    let header = format!(
        "| workload | awaitlet | native async | threads | other crates | Python awaitlet | {} |",
        peers::README_HEADER
    );
    let columns = 6 + peers::README_COLUMNS;
    let mut table = format!("{header}\n{}|\n", "| --- ".repeat(columns));
    let median = |v: &Variant| v.median().map_or("not measured".into(), time);
    for group in &spec.groups {
        let mut row = vec![format!("{}, per {}", group.title, group.unit)];
        row.push(median(group.reference()));
        for kind in [Kind::Native, Kind::Threads, Kind::Alternative] {
            let variant = group.variants.iter().find(|v| v.kind == kind);
            row.push(variant.map_or(String::new(), |v| format!("{} ({})", median(v), v.label)));
        }
        let python = python.variant(&group.id, "awaitlet");
        row.push(python.map_or(String::new(), |python| time(python.median_ns)));
        row.extend(peers.readme_cells(&group.id));
        table += &format!("| {} |\n", row.join(" | "));
    }
    table
}

/// `readme` with `table` between its marker lines.
fn splice(readme: &str, table: &str) -> Result<String, String> {
    let missing = |marker| format!("README.md has no line `{marker}`; put it around the table");
    let (head, rest) = readme.split_once(BEGIN).ok_or_else(|| missing(BEGIN))?;
    let (_, tail) = rest.split_once(END).ok_or_else(|| missing(END))?;
    Ok(format!("{head}{BEGIN}\n{table}{END}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target of every measure, and ten operations an iteration.
    const SAMPLE: &str = r#"
        intro = "Intro."
        machine = "A machine."
        method = "- How."
        profiling = "Profile it."
        issues = { 3 = "Performance" }
        [[group]]
        id = "two"
        bench = "await"
        title = "`two` variants"
        unit = "await"
        ops_per_iteration = 10
        iteration = "ten awaits"
        issue = 3
        about = "About two."
        variants = [
            { id = "awaitlet", label = "awaitlet!", kind = "awaitlet" },
            { id = "native", label = "native .await", kind = "native" },
        ]
        targets = [
            { says = "≤ 60 ns", measure = "time", at_most = 60 },
            { says = "extra ≤ 2 ns", measure = "extra_time", against = "native", at_most = 2 },
            { says = "≤ 1.15×", measure = "time_ratio", against = "native", at_most = 1.15 },
            { says = "≥ 0.9×", measure = "speedup", against = "native", at_least = 0.9 },
            { says = "native ≥ 1 ns", measure = "time", variant = "native", at_least = 1 },
        ]
    "#;

    /// The sample with these medians per operation, in ns, each ±10%.
    pub(crate) fn sample(awaitlet: Option<f64>, native: Option<f64>) -> Spec {
        let mut spec: Spec = toml::from_str(SAMPLE).unwrap();
        for (variant, ns) in spec.groups[0].variants.iter_mut().zip([awaitlet, native]) {
            variant.estimate = ns.map(|ns| Estimate {
                point_estimate: ns,
                confidence_interval: Interval {
                    lower_bound: ns * 0.9,
                    upper_bound: ns * 1.1,
                },
            });
        }
        spec
    }

    #[test]
    fn a_criterion_estimate_is_read_per_operation() {
        let dir = std::env::temp_dir().join(format!("awaitlet-report-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("two/awaitlet/new")).unwrap();
        // As criterion writes it (other statistics left out), per iteration of ten operations.
        let json = r#"{"slope": null, "median": {"point_estimate": 25.0, "standard_error": 1.0,
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": 20, "upper_bound": 30}}}"#;
        std::fs::write(dir.join("two/awaitlet/new/estimates.json"), json).unwrap();
        let mut spec = sample(None, None);
        let newest = measure(&mut spec, &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(newest.unwrap().is_some());
        let (awaitlet, native) = (&spec.groups[0].variants[0], &spec.groups[0].variants[1]);
        let Estimate {
            point_estimate,
            confidence_interval: ci,
        } = awaitlet.estimate.unwrap();
        assert_eq!(
            [point_estimate, ci.lower_bound, ci.upper_bound],
            [2.5, 2.0, 3.0]
        );
        assert_eq!(native.estimate, None);
    }

    #[test]
    fn each_target_is_checked_in_its_own_terms() {
        let runs = [sample(Some(2.5), Some(1.0)), sample(Some(75.0), Some(70.0))];
        // Per target of `SAMPLE`, its verdict in each run.
        let expected = [
            [("2.50 ns", true), ("75.0 ns", false)],
            [("+1.50 ns", true), ("+5.00 ns", false)],
            [("2.50×", false), ("1.07×", true)],
            [("0.400×", false), ("0.933×", true)],
            [("1.00 ns", true), ("70.0 ns", true)],
        ];
        for (run, spec) in runs.iter().enumerate() {
            let group = &spec.groups[0];
            for (target, verdicts) in group.targets.iter().zip(expected) {
                let (shown, met) = verdicts[run];
                let verdict = Some((shown.to_string(), met));
                assert_eq!(target.verdict(group), verdict, "{}", target.says);
            }
        }
    }

    #[test]
    fn a_missing_measurement_is_reported_as_not_measured() {
        let python = serde_json::from_str(include_str!("../../../python/results.json")).unwrap();
        let spec = sample(Some(50.0), None);
        let md = benchmarks_md(&spec, &python, None);
        for line in [
            "| [two](#two) | ≤ 60 ns | 3 | 50.0 ns | yes |\n",
            "| [two](#two) | extra ≤ 2 ns | 3 | — | not measured |\n",
            "| native .await (`two/native`) | not measured | — | — | — |\n",
            "One iteration is ten awaits; `two/awaitlet` took 500 ns for all of them.\n",
        ] {
            assert!(md.contains(line), "no {line:?} in\n{md}");
        }
        let readme = readme_table(&spec, &python, &peers::Peers::default());
        assert!(readme.ends_with("| 50.0 ns | not measured (native .await) |  |  |  |  |  |\n"));
        let svg = chart::render(&spec, &python).unwrap();
        assert!(svg.contains("not measured") && svg.contains("50.0 ns"));
    }

    #[test]
    fn the_shipped_description_parses_and_names_only_its_bench_targets_and_variants() {
        let spec: Spec = toml::from_str(SPEC).unwrap();
        let manifest: toml::Table = toml::from_str(include_str!("../../../Cargo.toml")).unwrap();
        let benches = manifest["bench"].as_array().unwrap();
        for group in &spec.groups {
            let bench = Some(group.bench.as_str());
            assert!(
                benches.iter().any(|b| b["name"].as_str() == bench),
                "{bench:?}"
            );
            let _ = group.reference(); // which panics without an awaitlet variant
            for target in &group.targets {
                let (says, time) = (&target.says, target.measure == Measure::Time);
                let known = |id: &String| group.variants.iter().any(|v| &v.id == id);
                assert!(
                    target.variant.iter().chain(&target.against).all(known),
                    "{says}"
                );
                assert_eq!(target.against.is_none(), time, "{says}");
                let bounds = [target.at_most, target.at_least];
                assert_eq!(bounds.iter().flatten().count(), 1, "{says}");
            }
        }
        let echo = spec.groups.iter().find(|group| group.id == "echo").unwrap();
        let ops = awaitlet_benches::echo::CLIENTS * awaitlet_benches::echo::ROUNDS;
        assert_eq!(echo.ops(), ops as f64);
    }
}

//! `cargo run -p awaitlet-benches --bin report`: turns the output of
//! `cargo bench -p awaitlet-benches` into `BENCHMARKS.md`, `docs/benchmarks.svg` and the table of
//! figures in `README.md`, at the root of the workspace.
//!
//! What each benchmark group is, its variants and its targets are data, in
//! `benches/benchmarks.toml`. The report reads criterion's median estimate of every variant
//! (`<criterion dir>/<group>/<variant>/new/estimates.json`), compares each variant with the
//! group's awaitlet variant from the same run, checks the targets, and adds the numbers of
//! Python's awaitlet from `benches/python/results.json`. A variant without an estimate is
//! reported as not measured.
//!
//! The criterion directory is found as criterion finds it: `$CRITERION_HOME`, else
//! `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.

mod chart;
mod format;
mod machine;
mod markdown;
mod results;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use machine::Machine;
use markdown::{Report, splice_readme};
use results::{Measurements, Python};
use spec::Spec;

/// The description of the benchmarks, built in so that the binary cannot drift from it.
const SPEC: &str = include_str!("../../../benchmarks.toml");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("report: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let spec = Spec::parse(SPEC).map_err(|error| format!("benches/benchmarks.toml: {error}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the benches package sits in the workspace");
    let criterion = criterion_dir(root);
    let data = Measurements::read(&criterion, &spec);
    let python = Python::read(&root.join("benches/python/results.json"))?;
    let report = Report {
        spec: &spec,
        data: &data,
        python: python.as_ref(),
        machine: &Machine::probe(),
        generated: SystemTime::now(),
    };
    let svg = chart::render(&chart::blocks(&spec, &data, python.as_ref()))
        .map_err(|error| format!("cannot draw the chart: {error}"))?;
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)
        .map_err(|error| format!("cannot read {}: {error}", readme_path.display()))?;
    let readme = splice_readme(&readme, &report.readme_table())?;

    for (path, text) in [
        (root.join("BENCHMARKS.md"), report.benchmarks_md()),
        (root.join("docs/benchmarks.svg"), svg),
        (readme_path, readme),
    ] {
        std::fs::create_dir_all(path.parent().expect("a file in the workspace"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        println!("wrote {}", path.display());
    }
    if !data.missing.is_empty() {
        let missing: Vec<&str> = data
            .missing
            .iter()
            .map(|(variant, _)| variant.as_str())
            .collect();
        eprintln!(
            "report: not measured in {}: {}; run `cargo bench -p awaitlet-benches` for them",
            criterion.display(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// Where criterion wrote its results (see the module docs).
fn criterion_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        root.join("target/criterion")
    }
}

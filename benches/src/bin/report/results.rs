//! The numbers: criterion's estimates, the targets checked against them, and Python's results.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::Path;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::Value;

use crate::format::{format_ns, signed_ns, three_digits};
use crate::spec::{Group, Measure, Spec, Target};

/// Criterion's estimate of one variant: the median and its 95% interval, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub median: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Parses criterion's `estimates.json` into the estimate per iteration.
pub fn parse_estimate(json: &str) -> Result<Estimate, String> {
    let value: Value = serde_json::from_str(json).map_err(|error| error.to_string())?;
    let number = |pointer: &str| {
        let number = value
            .pointer(&format!("/median/{pointer}"))
            .and_then(Value::as_f64);
        number.ok_or_else(|| format!("no number at `median/{pointer}`"))
    };
    Ok(Estimate {
        median: number("point_estimate")?,
        lower: number("confidence_interval/lower_bound")?,
        upper: number("confidence_interval/upper_bound")?,
    })
}

/// The estimates of one run, per operation, by group and variant id.
#[derive(Debug, Default)]
pub struct Measurements {
    estimates: HashMap<(String, String), Estimate>,
    /// When the newest of them was written.
    pub newest: Option<SystemTime>,
    /// `group/variant` of every variant without an estimate, and why.
    pub missing: Vec<(String, String)>,
}

impl Measurements {
    /// Reads `<dir>/<group>/<variant>/new/estimates.json` of every variant in `spec`.
    pub fn read(dir: &Path, spec: &Spec) -> Measurements {
        let mut measurements = Measurements::default();
        for group in &spec.groups {
            for variant in &group.variants {
                let path = dir
                    .join(&group.id)
                    .join(&variant.id)
                    .join("new/estimates.json");
                let estimate = (std::fs::read_to_string(&path))
                    .map_err(|error| match error.kind() {
                        ErrorKind::NotFound => "not measured".to_string(),
                        _ => format!("cannot read {}: {error}", path.display()),
                    })
                    .and_then(|json| {
                        parse_estimate(&json).map_err(|e| format!("{}: {e}", path.display()))
                    });
                match estimate {
                    Ok(estimate) => {
                        measurements.insert(group, &variant.id, estimate);
                        let modified = std::fs::metadata(&path).and_then(|m| m.modified());
                        measurements.newest = measurements.newest.max(modified.ok());
                    }
                    Err(why) => measurements
                        .missing
                        .push((format!("{}/{}", group.id, variant.id), why)),
                }
            }
        }
        measurements
    }

    /// Records criterion's estimate per iteration as one per operation.
    pub fn insert(&mut self, group: &Group, variant: &str, per_iteration: Estimate) {
        let ops = group.ops_per_iteration;
        let per_op = Estimate {
            median: per_iteration.median / ops,
            lower: per_iteration.lower / ops,
            upper: per_iteration.upper / ops,
        };
        self.estimates
            .insert((group.id.clone(), variant.to_string()), per_op);
    }

    /// The estimate per operation of one variant, if it was measured.
    pub fn get(&self, group: &Group, variant: &str) -> Option<Estimate> {
        self.estimates
            .get(&(group.id.clone(), variant.to_string()))
            .copied()
    }

    /// Checks one target of `group` in its own terms.
    pub fn verdict(&self, group: &Group, target: &Target) -> Verdict {
        let median = |id: &str| self.get(group, id).map(|estimate| estimate.median);
        let of = target.variant.as_deref().unwrap_or(&group.reference().id);
        let Some(value) = median(of) else {
            return Verdict::NotMeasured;
        };
        let against = match target.against.as_deref().map(median) {
            Some(None) => return Verdict::NotMeasured,
            Some(Some(against)) => against,
            None => f64::NAN, // `time`, which compares with nothing (checked by `Spec::parse`)
        };
        let measured = match target.measure {
            Measure::Time => value,
            Measure::ExtraTime => value - against,
            Measure::TimeRatio => value / against,
            Measure::Speedup => against / value,
        };
        let shown = match target.measure {
            Measure::Time => format_ns(measured),
            Measure::ExtraTime => signed_ns(measured),
            Measure::TimeRatio | Measure::Speedup => format!("{}×", three_digits(measured)),
        };
        let met = target.at_most.is_none_or(|bound| measured <= bound)
            && target.at_least.is_none_or(|bound| measured >= bound);
        if met {
            Verdict::Met(shown)
        } else {
            Verdict::Missed(shown)
        }
    }
}

/// The outcome of one target, with the measured value as the target states it.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Met(String),
    Missed(String),
    NotMeasured,
}

/// `benches/python/results.json`, as `bench_awaitlet.py` writes it.
#[derive(Debug, Deserialize)]
pub struct Python {
    pub command: String,
    pub python: String,
    pub awaitlet: String,
    pub greenlet: String,
    pub cpu: String,
    pub nproc: u32,
    pub date: String,
    pub groups: Vec<PythonGroup>,
}

#[derive(Debug, Deserialize)]
pub struct PythonGroup {
    /// The Rust group's id, when there is one for the same workload.
    pub group: String,
    pub title: String,
    pub per: String,
    pub variants: Vec<PythonVariant>,
}

#[derive(Debug, Deserialize)]
pub struct PythonVariant {
    pub id: String,
    pub label: String,
    pub median_ns: f64,
}

impl Python {
    /// Reads the results; `None` when there are none yet.
    pub fn read(path: &Path) -> Result<Option<Python>, String> {
        match std::fs::read_to_string(path) {
            Ok(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|error| format!("{}: {error}", path.display())),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(format!("cannot read {}: {error}", path.display())),
        }
    }

    pub fn group(&self, id: &str) -> Option<&PythonGroup> {
        self.groups.iter().find(|group| group.group == id)
    }
}

impl PythonGroup {
    pub fn variant(&self, id: &str) -> Option<&PythonVariant> {
        self.variants.iter().find(|variant| variant.id == id)
    }
}

#[cfg(test)]
pub mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::spec::tests::sample;

    /// Medians per operation, each with an interval of ±10%.
    pub fn measurements(spec: &Spec, medians: &[(&str, &str, f64)]) -> Measurements {
        let mut data = Measurements::default();
        for &(group, variant, ns) in medians {
            let group = spec.groups.iter().find(|g| g.id == group).unwrap();
            let per_iteration = ns * group.ops_per_iteration;
            data.insert(
                group,
                variant,
                Estimate {
                    median: per_iteration,
                    lower: per_iteration * 0.9,
                    upper: per_iteration * 1.1,
                },
            );
        }
        data
    }

    /// A fresh directory of its own for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("awaitlet-report-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn estimates_json(median: f64, lower: f64, upper: f64) -> String {
        format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0}},"point_estimate":2.0,"standard_error":0.1}},
                "median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lower},"upper_bound":{upper}}},"point_estimate":{median},"standard_error":0.1}}}}"#
        )
    }

    #[test]
    fn criterion_estimates_are_parsed() {
        assert_eq!(
            parse_estimate(&estimates_json(5.0, 4.0, 6.0)),
            Ok(Estimate {
                median: 5.0,
                lower: 4.0,
                upper: 6.0
            })
        );
        assert_eq!(
            parse_estimate(r#"{"median": {"point_estimate": 1.0}}"#),
            Err("no number at `median/confidence_interval/lower_bound`".to_string())
        );
        assert!(parse_estimate("not json").is_err());
    }

    #[test]
    fn estimates_are_read_per_operation_and_missing_ones_are_listed() {
        let spec = sample();
        let dir = scratch("read");
        let write = |group: &str, variant: &str, json: &str| {
            let path = dir.join(group).join(variant).join("new");
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(path.join("estimates.json"), json).unwrap();
        };
        write("two", "awaitlet", &estimates_json(2.5, 2.0, 3.0));
        write("two", "native", "{ truncated");
        write("solo", "awaitlet", &estimates_json(5000.0, 4000.0, 6000.0));
        let data = Measurements::read(&dir, &spec);
        let (two, solo) = (&spec.groups[0], &spec.groups[1]);
        assert_eq!(
            data.get(two, "awaitlet"),
            Some(Estimate {
                median: 2.5,
                lower: 2.0,
                upper: 3.0
            })
        );
        // Ten operations an iteration.
        assert_eq!(
            data.get(solo, "awaitlet"),
            Some(Estimate {
                median: 500.0,
                lower: 400.0,
                upper: 600.0
            })
        );
        assert_eq!(data.get(two, "native"), None);
        assert_eq!(data.missing.len(), 1);
        assert_eq!(data.missing[0].0, "two/native");
        assert!(data.missing[0].1.contains("two/native/new/estimates.json"));
        assert!(data.newest.is_some());

        let empty = Measurements::read(&dir.join("nothing here"), &spec);
        let missing: Vec<_> = empty
            .missing
            .iter()
            .map(|(v, why)| format!("{v}: {why}"))
            .collect();
        assert_eq!(
            missing,
            [
                "two/awaitlet: not measured",
                "two/native: not measured",
                "solo/awaitlet: not measured"
            ]
        );
        assert_eq!(empty.newest, None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn targets_are_checked_in_their_own_terms() {
        let spec = sample();
        let two = &spec.groups[0];
        let verdicts = |data: &Measurements| -> Vec<Verdict> {
            two.targets
                .iter()
                .map(|target| data.verdict(two, target))
                .collect()
        };
        let data = measurements(&spec, &[("two", "awaitlet", 2.5), ("two", "native", 1.0)]);
        assert_eq!(
            verdicts(&data),
            [
                Verdict::Met("+1.50 ns".into()), // extra time ≤ 2 ns
                Verdict::Missed("2.50×".into()), // time ratio ≤ 1.15
                Verdict::Met("2.50 ns".into()),  // time ≤ 60 ns
                Verdict::Missed("0.40×".into()), // speedup ≥ 0.9
                Verdict::Met("1.00 ns".into()),  // the native variant's time ≤ 1 ns
            ]
        );
        let data = measurements(
            &spec,
            &[("two", "awaitlet", 100.0), ("two", "native", 95.0)],
        );
        assert_eq!(
            verdicts(&data),
            [
                Verdict::Missed("+5.00 ns".into()),
                Verdict::Met("1.05×".into()),
                Verdict::Missed("100 ns".into()),
                Verdict::Met("0.95×".into()),
                Verdict::Missed("95.0 ns".into()),
            ]
        );
        // Without the baseline only the absolute bound of the awaitlet variant can be checked.
        let data = measurements(&spec, &[("two", "awaitlet", 50.0)]);
        assert_eq!(
            verdicts(&data),
            [
                Verdict::NotMeasured,
                Verdict::NotMeasured,
                Verdict::Met("50.0 ns".into()),
                Verdict::NotMeasured,
                Verdict::NotMeasured,
            ]
        );
    }

    #[test]
    fn python_results_are_optional_but_must_parse() {
        let dir = scratch("python");
        assert!(Python::read(&dir.join("results.json")).unwrap().is_none());
        std::fs::write(dir.join("results.json"), r#"{"python": "3.11"}"#).unwrap();
        let error = Python::read(&dir.join("results.json")).unwrap_err();
        assert!(
            error.contains("results.json") && error.contains("missing field"),
            "{error}"
        );
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/results.json");
        let python = Python::read(&shipped).unwrap().unwrap();
        assert!(
            python
                .group("ready")
                .unwrap()
                .variant("awaitlet")
                .unwrap()
                .median_ns
                > 0.0
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

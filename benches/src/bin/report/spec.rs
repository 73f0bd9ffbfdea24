//! `benches/benchmarks.toml`: what was benchmarked, how to describe it, and what its issues ask of
//! it. The file's header comment documents every field.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Markdown paragraphs under the report's title.
    pub intro: String,
    /// A Markdown paragraph under the machine table.
    pub machine: String,
    /// The Markdown of the "Method" and "Profiling" sections.
    pub method: String,
    pub profiling: String,
    /// Issue titles by number.
    #[serde(default)]
    pub issues: BTreeMap<u32, String>,
    #[serde(rename = "group")]
    pub groups: Vec<Group>,
}

/// One criterion benchmark group: an awaitlet variant and its baselines, measured in one run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub bench: String,
    pub title: String,
    pub unit: String,
    #[serde(default = "one")]
    pub ops_per_iteration: f64,
    pub iteration: Option<String>,
    pub issue: u32,
    pub about: String,
    #[serde(default)]
    pub python: Vec<String>,
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub targets: Vec<Target>,
}

fn one() -> f64 {
    1.0
}

/// One function of a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: String,
    pub label: String,
    pub kind: Kind,
}

/// What a variant stands for, which sets its colour in the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Awaitlet,
    Native,
    Threads,
    /// Another crate's way of doing the same.
    Alternative,
}

/// A target from an issue, checked against the medians per operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The target as its issue words it (Markdown).
    pub says: String,
    /// The issue it comes from, when it is not the group's.
    pub issue: Option<u32>,
    /// The variant measured; the group's awaitlet variant when absent.
    pub variant: Option<String>,
    pub measure: Measure,
    /// The variant it is compared with, for every measure but `time`.
    pub against: Option<String>,
    pub at_most: Option<f64>,
    pub at_least: Option<f64>,
}

/// What a target bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The variant's median, ns.
    Time,
    /// The variant's median minus the other's, ns.
    ExtraTime,
    /// The variant's median divided by the other's.
    TimeRatio,
    /// The other's median divided by the variant's.
    Speedup,
}

impl Spec {
    /// Parses and checks `benchmarks.toml`.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let spec: Spec = toml::from_str(text).map_err(|error| error.to_string())?;
        let mut ids = HashSet::new();
        for group in &spec.groups {
            if !ids.insert(group.id.as_str()) {
                return Err(format!("group `{}` is described twice", group.id));
            }
            group
                .check()
                .map_err(|error| format!("group `{}`: {error}", group.id))?;
        }
        Ok(spec)
    }
}

impl Group {
    /// The variant the others are compared with: the first awaitlet one (checked to exist).
    pub fn reference(&self) -> &Variant {
        self.variants
            .iter()
            .find(|variant| variant.kind == Kind::Awaitlet)
            .expect("checked by `Spec::parse`")
    }

    pub fn command(&self) -> String {
        format!(
            "cargo bench -p awaitlet-benches --bench {} -- '^{}/'",
            self.bench, self.id
        )
    }

    fn check(&self) -> Result<(), String> {
        if !self.ops_per_iteration.is_finite() || self.ops_per_iteration < 1.0 {
            return Err("`ops_per_iteration` must be at least 1".to_string());
        }
        if self.ops_per_iteration != 1.0 && self.iteration.is_none() {
            return Err(
                "one iteration is several operations; say what it is in `iteration`".into(),
            );
        }
        let mut ids = HashSet::new();
        for variant in &self.variants {
            if !ids.insert(variant.id.as_str()) {
                return Err(format!("variant `{}` is listed twice", variant.id));
            }
        }
        if !self.variants.iter().any(|v| v.kind == Kind::Awaitlet) {
            return Err("no variant of kind `awaitlet`; add the one to compare with".to_string());
        }
        let names = self.variants.iter().map(|v| v.id.as_str());
        let names = names.collect::<Vec<_>>().join("`, `");
        for target in &self.targets {
            let says = &target.says;
            for id in target.variant.iter().chain(&target.against) {
                if !ids.contains(id.as_str()) {
                    return Err(format!(
                        "target \"{says}\" names variant `{id}`, which the group does not have; \
                         use one of `{names}`"
                    ));
                }
            }
            match (target.measure, &target.against) {
                (Measure::Time, Some(_)) => {
                    Err("`time` compares with no variant; remove `against`")
                }
                (Measure::Time, None) | (_, Some(_)) => Ok(()),
                (_, None) => Err("its measure compares with a variant; add `against`"),
            }
            .map_err(|error| format!("target \"{says}\": {error}"))?;
            if target.at_most.is_some() == target.at_least.is_some() {
                return Err(format!(
                    "target \"{says}\" needs exactly one bound; give `at_most` or `at_least`"
                ));
            }
        }
        Ok(())
    }
}

impl Target {
    /// The issue the target comes from.
    pub fn issue(&self, group: &Group) -> u32 {
        self.issue.unwrap_or(group.issue)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A small description for the other modules' tests: `two` has a baseline and a target of
    /// every measure; `solo` is never measured.
    pub const SAMPLE: &str = r#"
        intro = "Intro."
        machine = "A machine."
        method = "- How."
        profiling = "Profile it."
        [issues]
        3 = "Performance"
        [[group]]
        id = "two"
        bench = "await"
        title = "`two` variants"
        unit = "await"
        issue = 3
        about = "About two."
        python = ["awaitlet", "native"]
        variants = [
            { id = "awaitlet", label = "awaitlet!", kind = "awaitlet" },
            { id = "native", label = "native .await", kind = "native" },
        ]
        targets = [
            { says = "extra ≤ 2 ns", measure = "extra_time", against = "native", at_most = 2 },
            { says = "≤ 1.15×", measure = "time_ratio", against = "native", at_most = 1.15 },
            { says = "≤ 60 ns", measure = "time", at_most = 60, issue = 7 },
            { says = "≥ 0.9", measure = "speedup", against = "native", at_least = 0.9 },
            { says = "native ≤ 1 ns", measure = "time", variant = "native", at_most = 1 },
        ]
        [[group]]
        id = "solo"
        bench = "echo"
        title = "alone"
        unit = "round trip"
        ops_per_iteration = 10
        iteration = "2 clients × 5 round trips"
        issue = 8
        about = "About solo."
        variants = [{ id = "awaitlet", label = "client", kind = "awaitlet" }]
        targets = [{ says = "≤ 1 µs", measure = "time", at_most = 1000 }]
    "#;

    pub fn sample() -> Spec {
        Spec::parse(SAMPLE).unwrap()
    }

    /// `SAMPLE` with `from` replaced by `to`, parsed.
    fn edited(from: &str, to: &str) -> Result<Spec, String> {
        assert!(SAMPLE.contains(from), "{from}");
        Spec::parse(&SAMPLE.replacen(from, to, 1))
    }

    #[test]
    fn the_shipped_description_is_valid_and_names_existing_bench_targets() {
        let spec = Spec::parse(crate::SPEC).unwrap();
        let manifest: toml::Table = toml::from_str(include_str!("../../../Cargo.toml")).unwrap();
        let benches: Vec<&str> = manifest["bench"]
            .as_array()
            .unwrap()
            .iter()
            .map(|bench| bench["name"].as_str().unwrap())
            .collect();
        for group in &spec.groups {
            assert!(benches.contains(&group.bench.as_str()), "{}", group.bench);
            assert!(!group.about.trim().is_empty() && !group.unit.is_empty());
        }
        let echo = spec.groups.iter().find(|group| group.id == "echo").unwrap();
        let (clients, rounds) = (
            awaitlet_benches::echo::CLIENTS,
            awaitlet_benches::echo::ROUNDS,
        );
        assert_eq!(echo.ops_per_iteration, (clients * rounds) as f64);
    }

    #[test]
    fn a_group_knows_its_reference_command_and_issues() {
        let spec = sample();
        let two = &spec.groups[0];
        assert_eq!(two.reference().id, "awaitlet");
        assert_eq!(
            two.command(),
            "cargo bench -p awaitlet-benches --bench await -- '^two/'"
        );
        assert_eq!(two.targets[0].issue(two), 3);
        assert_eq!(two.targets[2].issue(two), 7);
        assert_eq!(spec.groups[1].ops_per_iteration, 10.0);
        assert_eq!(two.ops_per_iteration, 1.0);
    }

    #[test]
    fn mistakes_in_the_description_are_explained() {
        let error = |from, to| edited(from, to).unwrap_err();
        assert_eq!(
            error(r#"id = "solo""#, r#"id = "two""#),
            "group `two` is described twice"
        );
        assert_eq!(
            error(
                r#"label = "client", kind = "awaitlet""#,
                r#"label = "client", kind = "native""#
            ),
            "group `solo`: no variant of kind `awaitlet`; add the one to compare with"
        );
        assert_eq!(
            error(
                r#"against = "native", at_most = 2"#,
                r#"against = "nativ", at_most = 2"#
            ),
            "group `two`: target \"extra ≤ 2 ns\" names variant `nativ`, which the group does \
             not have; use one of `awaitlet`, `native`"
        );
        assert_eq!(
            error("at_most = 60,", r#"at_most = 60, against = "native","#),
            "group `two`: target \"≤ 60 ns\": `time` compares with no variant; remove `against`"
        );
        assert_eq!(
            error(r#"against = "native", at_least = 0.9"#, "at_least = 0.9"),
            "group `two`: target \"≥ 0.9\": its measure compares with a variant; add `against`"
        );
        assert_eq!(
            error("at_least = 0.9", "at_least = 0.9, at_most = 2"),
            "group `two`: target \"≥ 0.9\" needs exactly one bound; give `at_most` or `at_least`"
        );
        assert_eq!(
            error("iteration = \"2 clients × 5 round trips\"\n", ""),
            "group `solo`: one iteration is several operations; say what it is in `iteration`"
        );
        assert!(error("issue = 8", "isue = 8").contains("unknown field `isue`"));
        assert!(
            error(r#"kind = "native""#, r#"kind = "tokio""#).contains("unknown variant `tokio`")
        );
        assert!(error(r#"measure = "time_ratio""#, r#"measure = "ratio""#).contains("`ratio`"));
    }
}

//! The instruction counts of `--bin instructions`, beside each median: a second figure that load on
//! the machine does not move.

use std::path::Path;

use awaitlet_benches::results::{self, Instructions};

use crate::Spec;

/// The column's heading, after the median's.
pub const HEADING: &str = "instructions";

/// Reads `target/awaitlet-instructions/instructions.json` into each variant it measured; `None`
/// (every cell "—") when the tool has not been run.
pub fn attach(spec: &mut Spec, target: &Path) -> Result<(), String> {
    let Some(counts) = results::read::<Instructions>(&results::instructions_path(target))? else {
        return Ok(());
    };
    for group in &mut spec.groups {
        for variant in &mut group.variants {
            variant.instructions = counts.per_op(&group.id, &variant.id);
        }
    }
    Ok(())
}

/// A count per operation as the table shows it: one decimal below 100, whole numbers above.
pub fn cell(per_op: Option<f64>) -> String {
    match per_op {
        Some(count) if count.abs() < 100.0 => format!("{count:.1}"),
        Some(count) => format!("{count:.0}"),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_to_their_variants_and_the_rest_show_a_dash() {
        let dir = tempfile::tempdir().unwrap();
        let file = Instructions {
            valgrind: "valgrind-3.19.0".into(),
            counts: vec![results::Count {
                id: "two".into(),
                variant: "native".into(),
                per_op: 8.04,
                ops: [100, 1100],
                total: [1000, 9040],
            }],
        };
        results::write(&results::instructions_path(dir.path()), &file).unwrap();
        let mut spec = crate::tests::sample(Some(2.5), Some(1.0));
        attach(&mut spec, dir.path()).unwrap();
        let cells: Vec<String> = spec.groups[0]
            .variants
            .iter()
            .map(|v| cell(v.instructions))
            .collect();
        assert_eq!(cells, ["—", "8.0"]);
        assert_eq!(cell(Some(12_345.4)), "12345");
    }

    #[test]
    fn without_the_file_nothing_is_attached() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = crate::tests::sample(Some(2.5), Some(1.0));
        attach(&mut spec, dir.path()).unwrap();
        assert!(
            spec.groups[0]
                .variants
                .iter()
                .all(|v| v.instructions.is_none())
        );
    }
}

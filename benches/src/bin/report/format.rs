//! How numbers and dates read in the report: three significant digits, in a fitting unit.

use std::time::SystemTime;

/// A duration in nanoseconds, to three significant digits in a fitting unit (`46.7 ns`, `1.04 s`).
pub fn format_ns(ns: f64) -> String {
    let (value, unit) = scaled(ns);
    format!("{} {unit}", three_digits(value))
}

/// `ns` in the largest unit that leaves at least 1 of it.
fn scaled(ns: f64) -> (f64, &'static str) {
    match ns.abs() {
        ns_abs if ns_abs < 1e3 => (ns, "ns"),
        ns_abs if ns_abs < 1e6 => (ns / 1e3, "µs"),
        ns_abs if ns_abs < 1e9 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    }
}

/// Three significant digits down to 1; two decimals below it.
pub fn three_digits(value: f64) -> String {
    match value.abs() {
        abs if abs >= 99.95 => format!("{value:.0}"),
        abs if abs >= 9.995 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

/// A difference in nanoseconds with its sign (`+1.50 ns`, `−0.20 ns`; `+0.00 ns` for nothing).
pub fn signed_ns(ns: f64) -> String {
    let rounded = (ns * 100.0).round() / 100.0;
    let sign = if rounded < 0.0 { '−' } else { '+' };
    format!("{sign}{:.2} ns", rounded.abs())
}

/// A ratio of times to three significant digits, however small (`1.15×`, `0.00126×`).
pub fn format_time_ratio(ratio: f64) -> String {
    if ratio >= 0.1 {
        format!("{}×", three_digits(ratio))
    } else {
        let decimals = (2 - ratio.log10().floor() as i32).max(0) as usize;
        format!("{ratio:.decimals$}×")
    }
}

/// How the variant compared with (`reference`, awaitlet) fares against another, in words.
pub fn comparison(reference: f64, other: f64) -> String {
    let difference = reference - other;
    if difference.abs() < 0.005 {
        return "the same (±0.00 ns)".to_string();
    }
    let sign = if difference > 0.0 { '+' } else { '−' };
    let difference = format!("{sign}{}", format_ns(difference.abs()));
    if reference < other {
        let speedup = three_digits(other / reference);
        format!("awaitlet {speedup}× faster ({difference})")
    } else {
        let slowdown = three_digits(reference / other);
        format!("awaitlet {slowdown}× slower ({difference})")
    }
}

/// A power of ten of nanoseconds as an axis label: `0.1 ns`, `1 ns`, `10 µs`.
pub fn decade_label(ns: f64) -> String {
    let (value, unit) = scaled(ns);
    // Round away the error of the float that stands for 10^n; `Display` then drops the zeros.
    let value = (value * 1e6).round() / 1e6;
    format!("{value} {unit}")
}

/// `YYYY-MM-DD HH:MM UTC`.
pub fn utc(time: SystemTime) -> String {
    match jiff::Timestamp::try_from(time) {
        Ok(timestamp) => timestamp.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn times_take_three_significant_digits_in_a_fitting_unit() {
        assert_eq!(format_ns(0.8765), "0.88 ns");
        assert_eq!(format_ns(46.7), "46.7 ns");
        assert_eq!(format_ns(99.96), "100 ns");
        assert_eq!(format_ns(999.7), "1000 ns");
        assert_eq!(format_ns(27_803.0), "27.8 µs");
        assert_eq!(format_ns(845e6), "845 ms");
        assert_eq!(format_ns(1.04e9), "1.04 s");
        assert_eq!(signed_ns(-0.001), "+0.00 ns");
        assert_eq!(signed_ns(-0.2), "−0.20 ns");
        assert_eq!(signed_ns(1.5), "+1.50 ns");
    }

    #[test]
    fn ratios_keep_three_significant_digits_however_small() {
        assert_eq!(format_time_ratio(1.153), "1.15×");
        assert_eq!(format_time_ratio(0.13), "0.13×");
        assert_eq!(format_time_ratio(0.036), "0.0360×");
        assert_eq!(format_time_ratio(0.0012567), "0.00126×");
        assert_eq!(three_digits(885.4), "885");
        assert_eq!(three_digits(30.64), "30.6");
    }

    #[test]
    fn comparisons_say_faster_or_slower_and_by_how_much() {
        assert_eq!(comparison(50.0, 100.0), "awaitlet 2.00× faster (−50.0 ns)");
        assert_eq!(comparison(3.0, 2.0), "awaitlet 1.50× slower (+1.00 ns)");
        assert_eq!(
            comparison(35.8, 24_300.0),
            "awaitlet 679× faster (−24.3 µs)"
        );
        assert_eq!(comparison(0.672, 0.674), "the same (±0.00 ns)");
    }

    #[test]
    fn axis_labels_are_round_decades() {
        let decade = |n: i32| decade_label(10f64.powi(n));
        assert_eq!(decade(-1), "0.1 ns");
        assert_eq!(decade(0), "1 ns");
        assert_eq!(decade(2), "100 ns");
        assert_eq!(decade(4), "10 µs");
        assert_eq!(decade(6), "1 ms");
        assert_eq!(decade_label(0.1 * 1e3 * 1e3), "100 µs");
    }

    #[test]
    fn dates_are_utc_to_the_minute() {
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_660 + 59);
        assert_eq!(utc(leap_day), "2000-02-29 01:01 UTC");
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00 UTC");
    }
}

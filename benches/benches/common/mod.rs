//! Criterion settings shared by the micro-benchmarks (`await`, `roundtrip`, `pingpong`).

use std::time::Duration;

use criterion::Criterion;

/// One second of warm-up, then fifty samples in four seconds: operations of nanoseconds to tens
/// of microseconds settle well within that, and the whole suite stays a few minutes long.
pub fn micro() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50)
}

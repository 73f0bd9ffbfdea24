//! Wall time and the process's CPU time, read together: what a workload that uses more than one
//! thread costs the machine, beside how long it takes.

use std::time::{Duration, Instant};

/// What one run of a workload took.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spent {
    /// Time on the wall clock.
    pub wall: Duration,
    /// CPU time of all the process's threads together (`CLOCK_PROCESS_CPUTIME_ID`), user and
    /// system: a thread that spins or blocks in the kernel on a second core counts here, not in
    /// `wall`.
    pub cpu: Duration,
}

/// Both clocks, started at once.
#[derive(Clone, Copy, Debug)]
pub struct Clocks {
    wall: Instant,
    cpu: Duration,
}

impl Clocks {
    /// Reads both clocks.
    pub fn start() -> Self {
        Clocks {
            wall: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    /// What has passed on each clock since [`Clocks::start`].
    pub fn elapsed(&self) -> Spent {
        Spent {
            cpu: process_cpu_time().saturating_sub(self.cpu),
            wall: self.wall.elapsed(),
        }
    }
}

/// The CPU time the process has used so far, all threads together.
///
/// # Panics
///
/// When the system has no process CPU-time clock (every Linux and macOS has one).
pub fn process_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a live, writable `timespec` for the duration of the call, which is all
    // `clock_gettime` writes to; the clock id is a constant of the platform's libc.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    let seconds = u64::try_from(now.tv_sec).expect("a CPU time before the process started");
    let nanos = u32::try_from(now.tv_nsec).expect("a timespec's nanoseconds fit in u32");
    Duration::new(seconds, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_shows_on_the_process_cpu_clock() {
        let clocks = Clocks::start();
        // Work the optimizer cannot drop, until the CPU clock has moved by a millisecond (or ten
        // seconds have passed on the wall, on a clock that does not move).
        let mut x = 1_u64;
        let moved = |spent: Spent| spent.cpu >= Duration::from_millis(1);
        while !moved(clocks.elapsed()) && clocks.elapsed().wall < Duration::from_secs(10) {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        assert!(
            moved(clocks.elapsed()),
            "the process CPU clock did not move"
        );
    }
}

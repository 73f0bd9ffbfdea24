//! A warning when a pool thread is blocked: one poll of a pinned call that does not return.
//!
//! Calls on a pool thread share it as tasks share a current-thread runtime, so a call that blocks
//! the thread for real (a `std::sync::Mutex` held across `awaitlet!` by another call on the same
//! thread, `std::thread::sleep`, blocking I/O, a long computation) stops every call on it, and
//! nothing else says so: a server behind it just stops answering. Each poll of a pinned call
//! therefore goes through [`Watched`], which bumps its thread's [`Heartbeat`] on the way in and on
//! the way out: two plain stores to a counter only that thread writes. A watchdog thread, started
//! with the first pool thread, looks at every heartbeat a few times per threshold; a counter that
//! stayed odd (inside a poll) and unchanged for the threshold gets one warning on stderr, naming
//! the thread, how long, the likely causes and their fixes.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The default threshold: long enough that no well-behaved poll comes near it, short enough that
/// a hung server says why while someone is still looking.
const DEFAULT_THRESHOLD: Duration = Duration::from_secs(5);

/// The threshold in milliseconds; 0 turns the warning off.
static THRESHOLD_MS: AtomicU64 = AtomicU64::new(DEFAULT_THRESHOLD.as_millis() as u64);

/// Sets how long a pool thread may stay inside one poll of a pinned call before awaitlet prints a
/// warning to stderr, or turns the warning off with `None`. The default is 5 seconds.
///
/// A pool thread runs many calls, and a call that blocks it (a `std::sync::Mutex` held across
/// `awaitlet!` by another call on the same thread, `std::thread::sleep`, blocking I/O, a long
/// computation) stops all of them. The warning names the thread, says how long it has been
/// blocked, and lists the likely causes with their fixes. It is printed once per blocked poll.
///
/// ```
/// use std::time::Duration;
///
/// // A service whose calls may legitimately compute for a while.
/// awaitlet::tokio::set_blocked_warning(Some(Duration::from_secs(30)));
/// ```
///
/// # Panics
///
/// When `threshold` is `Some(Duration::ZERO)`: every poll takes some time.
pub fn set_blocked_warning(threshold: Option<Duration>) {
    let millis = match threshold {
        None => 0,
        Some(Duration::ZERO) => {
            panic!("`set_blocked_warning` needs a threshold above zero; pass `None` to turn it off")
        }
        // At least one millisecond, so that a tiny threshold is not taken for "off".
        Some(threshold) => u64::try_from(threshold.as_millis())
            .unwrap_or(u64::MAX)
            .max(1),
    };
    THRESHOLD_MS.store(millis, Ordering::Relaxed);
}

fn threshold() -> Option<Duration> {
    match THRESHOLD_MS.load(Ordering::Relaxed) {
        0 => None,
        millis => Some(Duration::from_millis(millis)),
    }
}

/// How many polls of pinned calls one pool thread has begun and ended: odd while inside one.
///
/// Only its own thread writes it, so a load and a store bump it, with no read-modify-write.
struct Heartbeat {
    count: AtomicU64,
    thread: String,
}

/// Every pool thread's heartbeat, for the watchdog. Pool threads live as long as the process, and
/// so do their heartbeats.
static HEARTBEATS: Mutex<Vec<&'static Heartbeat>> = Mutex::new(Vec::new());

thread_local! {
    static THIS_THREAD: &'static Heartbeat = register();
}

/// Makes the heartbeat of the calling pool thread, and starts the watchdog with the first one.
fn register() -> &'static Heartbeat {
    let thread = thread::current();
    let heartbeat: &'static Heartbeat = Box::leak(Box::new(Heartbeat {
        count: AtomicU64::new(0),
        thread: thread.name().unwrap_or("an unnamed thread").to_string(),
    }));
    HEARTBEATS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(heartbeat);
    static WATCHDOG: Once = Once::new();
    WATCHDOG.call_once(|| {
        // Without a watchdog there is no warning, and the calls run as before: nothing to report.
        let _ = thread::Builder::new()
            .name("awaitlet-watchdog".to_string())
            .spawn(watch);
    });
    heartbeat
}

/// A pinned call's task, as its pool thread polls it: every poll is counted in the thread's
/// heartbeat.
pub(crate) struct Watched<F> {
    call: F,
    heartbeat: &'static Heartbeat,
}

impl<F> Watched<F> {
    /// Wraps a call; made on its pool thread, whose heartbeat it takes.
    pub(crate) fn new(call: F) -> Self {
        Watched {
            call,
            heartbeat: THIS_THREAD.with(|heartbeat| *heartbeat),
        }
    }
}

impl<F: Future + Unpin> Future for Watched<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let count = &this.heartbeat.count;
        let begun = count.load(Ordering::Relaxed) + 1;
        count.store(begun, Ordering::Relaxed);
        // A panic out of `poll` leaves the count odd until the next poll on the thread; the
        // runtime then reports the panic itself, and the next poll puts the count right.
        let poll = Pin::new(&mut this.call).poll(cx);
        count.store(begun + 1, Ordering::Relaxed);
        poll
    }
}

/// The watchdog: checks every heartbeat a few times per threshold, for as long as the process
/// runs.
fn watch() {
    // Per heartbeat: the odd count last seen, when it was first seen, and whether it was reported.
    let mut seen: Vec<Option<(u64, Instant, bool)>> = Vec::new();
    loop {
        let threshold = threshold();
        thread::sleep(threshold.map_or(Duration::from_secs(1), |threshold| {
            (threshold / 4).clamp(Duration::from_millis(5), Duration::from_secs(1))
        }));
        let Some(threshold) = threshold else {
            continue;
        };
        let heartbeats = HEARTBEATS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        seen.resize(heartbeats.len(), None);
        let now = Instant::now();
        for (heartbeat, seen) in heartbeats.iter().zip(&mut seen) {
            let count = heartbeat.count.load(Ordering::Relaxed);
            if count % 2 == 0 {
                *seen = None;
                continue;
            }
            match seen {
                Some((last, since, reported)) if *last == count => {
                    let blocked = now.duration_since(*since);
                    if !*reported && blocked >= threshold {
                        *reported = true;
                        warn(&heartbeat.thread, blocked);
                    }
                }
                _ => *seen = Some((count, now, false)),
            }
        }
    }
}

fn warn(thread: &str, blocked: Duration) {
    eprintln!(
        "awaitlet: warning: the pool thread `{thread}` has been inside one poll of a pinned call \
         for {:.1} s, so every other `spawn_pinned` and `#[async_def(send)]` call on that thread \
         is stopped too. Sync code that blocks the thread for real is the likely cause: a \
         `std::sync::Mutex` or `RwLock` held across `awaitlet!` by another call on the same \
         thread (use `awaitlet::sync::Mutex`, which suspends the waiting call instead); \
         `std::thread::sleep` or blocking I/O (await `tokio::time::sleep` with `awaitlet!`, and \
         read and write through `awaitlet::tokio::SyncIo`); or a long computation (run it with \
         `tokio::task::spawn_blocking` and `awaitlet!` its handle). \
         `awaitlet::tokio::set_blocked_warning` sets how long a poll may take before this \
         warning, or turns it off.",
        blocked.as_secs_f64()
    );
}

//! Suspended coroutines held at once, for the `memory` binary: each one created by its bridge,
//! polled once, and left suspended inside an await of a future that never completes.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Waker};

use super::floor::Floor;
use super::generator::Generator;
use super::stackful::Stackful;
use super::{Awaitlet, Bridge};

/// The contenders of the memory table (native async has no stacks to count).
pub const CONTENDERS: [&str; 4] = ["awaitlet", "floor", "stackful", "generator"];

/// A suspended coroutine, kept only to be held.
pub type Suspended = Pin<Box<dyn Future<Output = ()>>>;

/// A new coroutine of bridge `B`, suspended in an await that never completes.
fn suspend_one<B: Bridge>() -> Suspended {
    let mut suspended = Box::pin(B::run(|| B::wait(std::future::pending::<()>())));
    let polled = suspended
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()));
    assert!(
        polled.is_pending(),
        "a coroutine awaiting `pending()` finished"
    );
    suspended
}

/// A new coroutine of the contender named `id` (one of [`CONTENDERS`]), suspended in an await
/// that never completes.
///
/// # Panics
///
/// When `id` names none, and when the coroutine cannot be created.
pub fn suspend(id: &str) -> Suspended {
    match id {
        "awaitlet" => suspend_one::<Awaitlet>(),
        "floor" => suspend_one::<Floor>(),
        "stackful" => suspend_one::<Stackful>(),
        "generator" => suspend_one::<Generator>(),
        _ => panic!("no contender `{id}`; expected one of {CONTENDERS:?}"),
    }
}

/// This process's resident memory, in bytes (`VmRSS` of `/proc/self/status`).
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let line = status.lines().find_map(|line| line.strip_prefix("VmRSS:"));
    let kib = line.and_then(|kib| kib.trim().strip_suffix(" kB")?.trim().parse::<u64>().ok());
    kib.expect("a `VmRSS: N kB` line in /proc/self/status") * 1024
}

/// Resident memory per suspended coroutine of contender `id`, in bytes: `count` of them held at
/// once (after one created and dropped, so that first-use costs stay out of it).
pub fn resident_per_coroutine(id: &str, count: u64) -> f64 {
    drop(suspend(id));
    let mut held = Vec::with_capacity(count as usize);
    let before = resident_bytes();
    held.extend((0..count).map(|_| suspend(id)));
    let after = resident_bytes();
    std::mem::forget(held); // the process ends next; dropping would only cancel them all
    (after.saturating_sub(before)) as f64 / count as f64
}

/// Holds suspended coroutines of contender `id` until one cannot be created (its bridge panics)
/// or `cap` are held; calls `progress` with the count held so far every 1,024 and at the end.
/// Returns the count and the failure's message, if one stopped it.
///
/// A bridge may abort the process instead of panicking: the `memory` binary runs this in a child
/// process, which reports its progress as it goes.
pub fn hold(id: &str, cap: u64, mut progress: impl FnMut(u64)) -> (u64, Option<String>) {
    let mut held = Vec::new();
    let mut failure = None;
    while (held.len() as u64) < cap {
        match catch_unwind(AssertUnwindSafe(|| suspend(id))) {
            Ok(suspended) => held.push(suspended),
            Err(panic) => {
                let text = panic.downcast_ref::<String>().cloned();
                let text = text.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                failure = Some(text.unwrap_or_else(|| "a panic without a message".into()));
                break;
            }
        }
        if held.len() % 1024 == 0 {
            progress(held.len() as u64);
        }
    }
    let count = held.len() as u64;
    progress(count);
    std::mem::forget(held); // as above
    (count, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_contender_holds_suspended_coroutines() {
        for id in CONTENDERS {
            let mut reported = Vec::new();
            let (count, failure) = hold(id, 3, |n| reported.push(n));
            assert_eq!((count, failure, reported), (3, None, vec![3]), "{id}");
        }
    }

    #[test]
    fn resident_memory_grows_with_what_the_process_touches() {
        let before = resident_bytes();
        let touched = vec![1u8; 64 << 20];
        assert!(resident_bytes() >= before + (60 << 20));
        drop(touched);
    }
}

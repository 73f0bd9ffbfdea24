//! Stack overflow: running off the end of a coroutine stack must end the process with a message
//! that names the coroutine stack and the `stack_size` knob, never a bare `SIGSEGV` or silent
//! corruption; and an overflow of an ordinary thread stack must still get std's own report.
//!
//! Each case overflows in a child process (this test binary re-run with an environment variable
//! naming the case), and the parent checks how the child died. Every coroutine case runs twice:
//! with the guard pages the kernel offers (`MADV_GUARD_INSTALL` on Linux 6.13 and later) and with
//! the `mprotect` fallback forced, since the report must hold on both.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::process::Output;
use std::task::Context;

use awaitlet::{Builder, awaitlet};

use common::yield_now;

/// Runs a closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Names the case a child process runs.
const CHILD_CASE: &str = "AWAITLET_OVERFLOW_CASE";

/// Names the guard-page path a child process uses: `kernel` (whatever the kernel offers) or
/// `mprotect` (the fallback, forced).
const CHILD_GUARD: &str = "AWAITLET_OVERFLOW_GUARD";

/// Both guard-page paths.
const GUARDS: [&str; 2] = ["kernel", "mprotect"];

/// The guard kind the `kernel` path must end up with here: `madvise` from Linux 6.13 on, except
/// under an emulator (`AWAITLET_TEST_RUNNER`, see `common`): qemu-user only pretends to install
/// such guard pages, and awaitlet must see through that.
fn expected_guard_kind(guard: &str) -> &'static str {
    if guard == "mprotect" || std::env::var_os("AWAITLET_TEST_RUNNER").is_some() {
        return "mprotect";
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>());
    match (numbers.next(), numbers.next()) {
        (Some(Ok(major)), Some(Ok(minor))) if (major, minor) >= (6, 13) => "madvise",
        _ => "mprotect",
    }
}

/// Recurses until the stack runs out; the `limit` check only keeps the recursion conditional.
/// Each frame's buffer escapes before and after the call, so no optimizer can fold the frames.
fn recurse(depth: u64, limit: u64) -> u64 {
    let frame = [depth as u8; 1024];
    black_box(&frame);
    if depth == limit {
        return 0;
    }
    let below = recurse(depth + 1, limit);
    black_box(&frame);
    below + 1
}

/// Recurses until at most `gap` bytes of the coroutine stack are left, then suspends there for
/// good: dropping the future must then unwind from that depth.
fn descend_then_suspend(gap: usize) -> u64 {
    let frame = [0u8; 64];
    black_box(&frame);
    let left = awaitlet::__private::testing::stack_left().expect("on a coroutine");
    if left <= gap {
        awaitlet!(std::future::pending::<()>());
        return 0;
    }
    let below = descend_then_suspend(gap);
    black_box(&frame);
    below + 1
}

/// Runs `case` in a child process with the `guard` path, or, in the child, does the overflowing
/// thing.
fn run_child(case: &str, test_name: &str, guard: &str) -> Option<Output> {
    if let Some(running) = std::env::var_os(CHILD_CASE) {
        if running == case {
            if std::env::var_os(CHILD_GUARD).is_some_and(|guard| guard == "mprotect") {
                assert!(awaitlet::__private::testing::force_mprotect_guards());
            }
            eprintln!(
                "guard pages: {}",
                awaitlet::__private::testing::guard_kind()
            );
            match case {
                "coroutine" => {
                    let fut = Builder::new().stack_size(64 * 1024).async_def(|| {
                        awaitlet!(yield_now());
                        recurse(0, black_box(u64::MAX))
                    });
                    let _ = futures::executor::block_on(fut);
                }
                "neighbour" => {
                    // Two stacks of one slab, the second right above the first: overflowing the
                    // second runs into its own guard page, never into the first one's top.
                    let mut below = Builder::new().stack_size(64 * 1024).async_def(|| {
                        let canary = [0x5Au8; 512];
                        awaitlet!(yield_now());
                        assert!(black_box(&canary).iter().all(|&byte| byte == 0x5A));
                    });
                    let waker = std::task::Waker::noop();
                    let poll = Pin::new(&mut below).poll(&mut Context::from_waker(waker));
                    assert!(poll.is_pending());
                    let fut = Builder::new()
                        .stack_size(64 * 1024)
                        .async_def(|| recurse(0, black_box(u64::MAX)));
                    let _ = futures::executor::block_on(fut);
                }
                "in_poll" => {
                    // The awaited future's `poll` runs on the coroutine stack too.
                    let fut = Builder::new().stack_size(64 * 1024).async_def(|| {
                        awaitlet!(std::future::poll_fn(|_| {
                            std::task::Poll::Ready(recurse(0, black_box(u64::MAX)))
                        }))
                    });
                    let _ = futures::executor::block_on(fut);
                }
                "on_cancel" => {
                    // A destructor that needs more stack than is left, run by cancellation.
                    let mut fut = Builder::new().stack_size(64 * 1024).async_def(|| {
                        let _deep = OnDrop(|| {
                            recurse(0, black_box(u64::MAX));
                        });
                        awaitlet!(std::future::pending::<()>());
                    });
                    let waker = std::task::Waker::noop();
                    let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(waker));
                    assert!(poll.is_pending());
                    drop(fut);
                }
                unwinder if unwinder.starts_with("unwinder:") => {
                    // Suspended close to the end of its stack, then dropped: the unwinder itself
                    // starts down there, before any destructor names the frame.
                    let gap = unwinder["unwinder:".len()..].parse().unwrap();
                    let mut fut = Builder::new()
                        .stack_size(64 * 1024)
                        .async_def(move || descend_then_suspend(gap));
                    let waker = std::task::Waker::noop();
                    let poll = Pin::new(&mut fut).poll(&mut Context::from_waker(waker));
                    assert!(poll.is_pending());
                    eprintln!("suspended");
                    drop(fut);
                    eprintln!("unwound");
                    std::process::exit(0);
                }
                "thread" => {
                    // Create (and finish) a coroutine first, so whatever handler the crate
                    // installs for its stacks is in place when the ordinary thread overflows.
                    futures::executor::block_on(awaitlet::async_def(|| awaitlet!(yield_now())));
                    let child = std::thread::Builder::new()
                        .stack_size(256 * 1024)
                        .spawn(|| recurse(0, black_box(u64::MAX)))
                        .unwrap();
                    let _ = child.join();
                }
                _ => unreachable!(),
            }
            unreachable!("the {case} stack did not overflow");
        }
        return None;
    }
    let output = common::this_test_binary()
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE, case)
        .env(CHILD_GUARD, guard)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    Some(output)
}

/// The report every coroutine overflow must produce, whatever was running on the stack, on the
/// guard-page path the child was asked to use.
fn assert_coroutine_report(output: &Output, guard: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kind = expected_guard_kind(guard);
    assert!(
        stderr.contains(&format!("guard pages: {kind}\n")),
        "the child did not use {kind} guard pages; stderr:\n{stderr}"
    );
    assert!(!output.status.success(), "the child survived: {stderr}");
    assert!(
        stderr.contains("coroutine") && stderr.contains("stack_size"),
        "the child died with {:?} without naming the coroutine stack and `stack_size`; \
         stderr:\n{stderr}",
        output.status,
    );
}

#[test]
fn overflow_in_the_body_names_the_stack_and_the_knob() {
    let test = "overflow_in_the_body_names_the_stack_and_the_knob";
    for guard in GUARDS {
        if let Some(output) = run_child("coroutine", test, guard) {
            assert_coroutine_report(&output, guard);
        }
    }
}

#[test]
fn overflow_into_a_live_neighbours_stack_is_stopped_and_reported() {
    let test = "overflow_into_a_live_neighbours_stack_is_stopped_and_reported";
    for guard in GUARDS {
        if let Some(output) = run_child("neighbour", test, guard) {
            assert_coroutine_report(&output, guard);
        }
    }
}

#[test]
fn overflow_inside_an_awaited_futures_poll_is_reported() {
    let test = "overflow_inside_an_awaited_futures_poll_is_reported";
    for guard in GUARDS {
        if let Some(output) = run_child("in_poll", test, guard) {
            assert_coroutine_report(&output, guard);
        }
    }
}

#[test]
fn overflow_in_a_destructor_run_by_cancellation_is_reported() {
    let test = "overflow_in_a_destructor_run_by_cancellation_is_reported";
    for guard in GUARDS {
        if let Some(output) = run_child("on_cancel", test, guard) {
            assert_coroutine_report(&output, guard);
        }
    }
}

#[test]
fn overflow_in_the_unwinder_of_a_cancellation_is_reported() {
    let test = "overflow_in_the_unwinder_of_a_cancellation_is_reported";
    // Less and less stack left at the suspension: first there is room to unwind, then only to
    // suspend, not to unwind; past that, not even to suspend. Every overflow is reported.
    for gap in (2..32).rev().map(|k| k * 256) {
        let Some(output) = run_child(&format!("unwinder:{gap}"), test, "kernel") else {
            continue;
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            assert!(stderr.contains("unwound"), "{stderr}");
            continue;
        }
        assert_coroutine_report(&output, "kernel");
        if stderr.contains("suspended") {
            return; // the overflow was in the unwinding: the case this test is for
        }
    }
    panic!("no gap made the unwinding of a suspended coroutine overflow");
}

#[test]
fn thread_stack_overflow_still_gets_stds_report() {
    let test = "thread_stack_overflow_still_gets_stds_report";
    if let Some(output) = run_child("thread", test, "kernel") {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the child survived: {stderr}");
        assert!(
            stderr.contains("has overflowed its stack"),
            "died with {:?}; stderr:\n{stderr}",
            output.status,
        );
    }
}

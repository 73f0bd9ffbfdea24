//! Stack overflow: running off the end of a coroutine stack must end the process with a message
//! that names the coroutine stack and the `stack_size` knob, never a bare `SIGSEGV` or silent
//! corruption; and an overflow of an ordinary thread stack must still get std's own report.
//!
//! Each case overflows in a child process (this test binary re-run with an environment variable
//! naming the case), and the parent checks how the child died.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::process::{Command, Output};
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

/// Runs `case` in a child process, or, in the child, does the overflowing thing.
fn run_child(case: &str, test_name: &str) -> Option<Output> {
    if let Some(running) = std::env::var_os(CHILD_CASE) {
        if running == case {
            match case {
                "coroutine" => {
                    let fut = Builder::new().stack_size(64 * 1024).async_def(|| {
                        awaitlet!(yield_now());
                        recurse(0, black_box(u64::MAX))
                    });
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
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_CASE, case)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    Some(output)
}

/// The report every coroutine overflow must produce, whatever was running on the stack.
fn assert_coroutine_report(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
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
    if let Some(output) = run_child("coroutine", test) {
        assert_coroutine_report(&output);
    }
}

#[test]
fn overflow_inside_an_awaited_futures_poll_is_reported() {
    let test = "overflow_inside_an_awaited_futures_poll_is_reported";
    if let Some(output) = run_child("in_poll", test) {
        assert_coroutine_report(&output);
    }
}

#[test]
fn overflow_in_a_destructor_run_by_cancellation_is_reported() {
    let test = "overflow_in_a_destructor_run_by_cancellation_is_reported";
    if let Some(output) = run_child("on_cancel", test) {
        assert_coroutine_report(&output);
    }
}

#[test]
fn thread_stack_overflow_still_gets_stds_report() {
    let test = "thread_stack_overflow_still_gets_stds_report";
    if let Some(output) = run_child("thread", test) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "the child survived: {stderr}");
        assert!(
            stderr.contains("has overflowed its stack"),
            "died with {:?}; stderr:\n{stderr}",
            output.status,
        );
    }
}

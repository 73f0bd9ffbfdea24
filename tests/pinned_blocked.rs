//! A pool thread blocked inside one poll of a pinned call says so on stderr: once per blocked
//! poll, naming the thread, with the likely causes and their fixes. Calls that wait through
//! `awaitlet!` never trigger it. Each case runs in a child process of its own, because the
//! threshold and the pool are process-wide.

#![cfg(target_os = "linux")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use awaitlet::awaitlet;
use awaitlet::tokio::{set_blocked_warning, set_pool_size, spawn_pinned};

mod common;

use common::child;

/// The first words of the warning.
const WARNING: &str =
    "awaitlet: warning: the pool thread `awaitlet-pinned-0` has been inside one poll";

/// A one-thread pool and a 100 ms threshold, so that every call shares the thread.
fn one_thread_quick_warning() {
    set_pool_size(1).unwrap();
    set_blocked_warning(Some(Duration::from_millis(100)));
}

fn warnings(stderr: &str) -> usize {
    stderr.matches("awaitlet: warning:").count()
}

#[test]
fn a_call_that_sleeps_for_real_is_reported_once() {
    let test = "a_call_that_sleeps_for_real_is_reported_once";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "sleep", &[]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            assert!(stderr.contains(WARNING), "{all}");
            for fix in [
                "awaitlet::sync::Mutex",
                "`std::thread::sleep`",
                "tokio::task::spawn_blocking",
                "awaitlet::tokio::set_blocked_warning",
            ] {
                assert!(
                    stderr.contains(fix),
                    "the warning does not name {fix}: {all}"
                );
            }
            assert_eq!(warnings(&stderr), 1, "{all}");
            assert!(String::from_utf8_lossy(&output.stdout).contains("both calls ended"));
        }
        Some("sleep") => {
            one_thread_quick_warning();
            let blocking = spawn_pinned(|| std::thread::sleep(Duration::from_millis(1500)));
            let waiting = spawn_pinned(|| awaitlet!(tokio::task::yield_now()));
            futures::executor::block_on(blocking).unwrap();
            futures::executor::block_on(waiting).unwrap();
            println!("both calls ended");
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn a_std_mutex_held_across_awaitlet_is_reported() {
    let test = "a_std_mutex_held_across_awaitlet_is_reported";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "mutex", &[]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("deadlocked"),
                "{all}"
            );
            assert!(stderr.contains(WARNING), "{all}");
            assert!(stderr.contains("`std::sync::Mutex`"), "{all}");
        }
        Some("mutex") => {
            one_thread_quick_warning();
            // The hang of the issue: the first call holds the lock across `awaitlet!`, the second
            // blocks the only pool thread waiting for it, so the first never resumes.
            let lock = Arc::new(Mutex::new(0));
            let calls: Vec<_> = (0..2)
                .map(|_| {
                    let lock = Arc::clone(&lock);
                    spawn_pinned(move || {
                        let mut guard = lock.lock().unwrap();
                        awaitlet!(tokio::time::sleep(Duration::from_millis(50)));
                        *guard += 1;
                    })
                })
                .collect();
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let ended = runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(2), futures::future::join_all(calls)).await
            });
            assert!(ended.is_err(), "the calls were expected to deadlock");
            println!("deadlocked");
            // The pool thread stays blocked; leave without waiting for it.
            std::process::exit(0);
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn calls_that_wait_through_awaitlet_are_not_reported() {
    let test = "calls_that_wait_through_awaitlet_are_not_reported";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "awaiting", &[]);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            assert_eq!(
                warnings(&String::from_utf8_lossy(&output.stderr)),
                0,
                "{all}"
            );
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("sum 45"),
                "{all}"
            );
        }
        Some("awaiting") => {
            one_thread_quick_warning();
            // Each call waits ten times as long as the threshold, always suspended.
            let calls: Vec<_> = (0..10u64)
                .map(|n| {
                    spawn_pinned(move || {
                        for _ in 0..5 {
                            awaitlet!(tokio::time::sleep(Duration::from_millis(200)));
                        }
                        n
                    })
                })
                .collect();
            let sum: u64 = calls
                .into_iter()
                .map(|call| futures::executor::block_on(call).unwrap())
                .sum();
            println!("sum {sum}");
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn turning_the_warning_off_and_on() {
    let test = "turning_the_warning_off_and_on";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "off", &[]);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            assert_eq!(
                warnings(&String::from_utf8_lossy(&output.stderr)),
                0,
                "{all}"
            );
        }
        Some("off") => {
            set_pool_size(1).unwrap();
            set_blocked_warning(None);
            let blocking = spawn_pinned(|| std::thread::sleep(Duration::from_millis(1500)));
            futures::executor::block_on(blocking).unwrap();
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn a_zero_threshold_is_refused() {
    let message = common::panic_text(|| set_blocked_warning(Some(Duration::ZERO)));
    assert_eq!(
        message,
        "`set_blocked_warning` needs a threshold above zero; pass `None` to turn it off"
    );
}

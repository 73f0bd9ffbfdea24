//! Limits: a process that runs out of room for coroutine stacks gets an error that names the limit
//! and how to raise it, from `try_async_def`, or a panic with that message from `async_def`, and
//! it still has the headroom to start a thread, allocate, and print a panic's backtrace.
//!
//! Each case runs in a child process with a limit of its own: `RLIMIT_AS` lowered with
//! `setrlimit`, the real `vm.max_map_count` with `mprotect` guard pages (two mappings per stack,
//! so about 30,000 stacks reach it), or a small stand-in for `vm.max_map_count` where the kernel's
//! guard pages make the real one out of reach. The panicking cases run with `RUST_BACKTRACE=1`:
//! a program like that once hung forever at the mapping limit, its panic hook unable to allocate.
#![cfg(target_os = "linux")]

mod common;

use std::process::Output;

use awaitlet::{AsyncDef, Builder, awaitlet};

use common::child;

const STACK_SIZE: usize = 64 * 1024;

/// A coroutine that would wait forever once started; never started here, it just holds a stack.
fn coroutine() -> std::io::Result<AsyncDef<()>> {
    Builder::new()
        .stack_size(STACK_SIZE)
        .try_async_def(|| awaitlet!(std::future::pending::<()>()))
}

/// Lowers this process's address-space limit to what it uses now plus `extra` bytes.
fn lower_address_space_limit(extra: usize) {
    let limit = (child::status_bytes("VmSize") + extra) as libc::rlim_t;
    let new = libc::rlimit {
        rlim_cur: limit,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: `new` is a valid `rlimit`; lowering the soft limit needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &new) }, 0);
}

/// Creates coroutines until the crate refuses one, and returns how many it made and the error.
/// The coroutines stay alive (leaked), as in a program at its limit.
fn fill() -> (usize, std::io::Error) {
    let mut alive = Vec::new();
    loop {
        match coroutine() {
            Ok(coroutine) => alive.push(coroutine),
            Err(error) => {
                let count = alive.len();
                std::mem::forget(alive);
                return (count, error);
            }
        }
    }
}

/// Creates coroutines with the panicking constructor until it panics.
fn fill_until_panic() -> ! {
    let mut alive = Vec::new();
    loop {
        alive.push(
            Builder::new()
                .stack_size(STACK_SIZE)
                .async_def(|| awaitlet!(std::future::pending::<()>())),
        );
    }
}

/// What a process at its coroutine limit must still manage: a new thread that allocates and
/// touches 32 MiB.
fn still_has_headroom() {
    let thread = std::thread::spawn(|| {
        let block = vec![1u8; 32 << 20];
        block.iter().map(|&byte| usize::from(byte)).sum::<usize>()
    });
    assert_eq!(thread.join().expect("the new thread panicked"), 32 << 20);
}

/// The parent's checks of a child that hit a limit and reported it: it exited normally, having
/// made `min_count` coroutines at least, and its error says `needles`.
fn assert_reported(output: &Output, min_count: usize, needles: &[&str]) {
    let all = child::describe(output);
    assert!(output.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let count: usize = stdout
        .lines()
        .find_map(|line| line.strip_prefix("coroutines: "))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count in the child's output: {all}"));
    assert!(count >= min_count, "only {count} coroutines: {all}");
    let error = stdout
        .lines()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or_else(|| panic!("no error in the child's output: {all}"));
    for needle in needles {
        assert!(
            error.contains(needle),
            "the error does not say {needle:?}: {error}"
        );
    }
}

/// The parent's checks of a child that panicked at a limit with `RUST_BACKTRACE=1`: it exited
/// with the panic status (not hung, not killed by a signal), the message names the limit, and the
/// backtrace got printed.
fn assert_panicked_with_backtrace(output: &Output, needles: &[&str]) {
    let all = child::describe(output);
    assert_eq!(output.status.code(), Some(101), "{all}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "the panic does not say {needle:?}: {all}"
        );
    }
    assert!(
        stderr.contains("try_async_def"),
        "the panic does not point to `try_async_def`: {all}"
    );
    assert!(stderr.contains("stack backtrace:"), "no backtrace: {all}");
}

#[test]
fn rlimit_as_is_an_error_with_headroom_left() {
    let test = "rlimit_as_is_an_error_with_headroom_left";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "address_space", &[]);
            assert_reported(&output, 1000, &["`RLIMIT_AS`", "`ulimit -v`", "stack_size"]);
        }
        Some("address_space") => {
            lower_address_space_limit(1 << 30);
            let (count, error) = fill();
            assert_eq!(error.kind(), std::io::ErrorKind::OutOfMemory);
            still_has_headroom();
            println!("\ncoroutines: {count}");
            println!("error: {error}");
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn panicking_at_rlimit_as_with_backtraces_does_not_hang() {
    let test = "panicking_at_rlimit_as_with_backtraces_does_not_hang";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "address_space", &[("RUST_BACKTRACE", "1")]);
            assert_panicked_with_backtrace(&output, &["`RLIMIT_AS`"]);
        }
        Some("address_space") => {
            lower_address_space_limit(1 << 30);
            fill_until_panic();
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn the_real_mapping_limit_is_an_error_with_headroom_left() {
    let test = "the_real_mapping_limit_is_an_error_with_headroom_left";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "mappings", &[]);
            assert_reported(
                &output,
                10_000,
                &["`vm.max_map_count`", "sysctl", "two mappings"],
            );
        }
        Some("mappings") => {
            // Two mappings per stack: the real limit is within reach of a test.
            assert!(awaitlet::__private::testing::force_mprotect_guards());
            let max: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let (count, error) = fill();
            assert_eq!(error.kind(), std::io::ErrorKind::OutOfMemory);
            let used = child::mappings();
            assert!(
                used + 1024 <= max,
                "{used} of {max} mappings in use: the reserve was eaten into"
            );
            still_has_headroom();
            println!("\ncoroutines: {count}");
            println!("error: {error}");
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn panicking_at_the_real_mapping_limit_with_backtraces_does_not_hang() {
    let test = "panicking_at_the_real_mapping_limit_with_backtraces_does_not_hang";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "mappings", &[("RUST_BACKTRACE", "1")]);
            assert_panicked_with_backtrace(&output, &["`vm.max_map_count`"]);
        }
        Some("mappings") => {
            assert!(awaitlet::__private::testing::force_mprotect_guards());
            fill_until_panic();
        }
        Some(other) => unreachable!("{other}"),
    }
}

#[test]
fn a_mapping_limit_stand_in_is_kept_with_its_reserve() {
    let test = "a_mapping_limit_stand_in_is_kept_with_its_reserve";
    match child::case().as_deref() {
        None => {
            for guard in ["kernel", "mprotect"] {
                let output = child::run(test, guard, &[]);
                assert!(output.status.success(), "{}", child::describe(&output));
            }
        }
        Some(guard) => {
            if guard == "mprotect" {
                assert!(awaitlet::__private::testing::force_mprotect_guards());
            }
            // Below a limit of 16,384 the reserve is 1,024 mappings. With no mapping to spare
            // beyond it, not even a slab fits.
            let used = child::mappings();
            awaitlet::__private::testing::override_max_map_count(used + 1024);
            let error = coroutine().expect_err("a stack beyond the stand-in limit");
            let message = error.to_string();
            assert!(message.contains("`vm.max_map_count`"), "{message}");
            assert!(message.contains(&format!("= {}", used + 1024)), "{message}");
            // With 201 to spare: any number of stacks in one slab with kernel guard pages, else
            // two mappings each, about a hundred, never eating into the reserve.
            awaitlet::__private::testing::override_max_map_count(used + 1024 + 201);
            let (count, error) = match guard {
                "mprotect" => fill(),
                _ => {
                    let alive: Vec<_> = (0..1000).map(|_| coroutine().unwrap()).collect();
                    (alive.len(), std::io::Error::other("none"))
                }
            };
            if guard == "mprotect" {
                assert!((50..=100).contains(&count), "{count} stacks: {error}");
                assert!(error.to_string().contains("`vm.max_map_count`"), "{error}");
                let now = child::mappings();
                assert!(now <= used + 201, "{now} mappings, {used} before");
            }
        }
    }
}

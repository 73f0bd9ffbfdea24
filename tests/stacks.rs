//! Coroutine stacks at scale: slab stacks share a few kernel mappings (with the kernel's guard
//! pages; two per stack with the `mprotect` fallback), finished coroutines give their memory
//! back beyond what the per-thread pool keeps, and slabs are unmapped once empty, but for one.
//!
//! Resident memory and mappings are per process, so each case runs in a child process of its own
//! (see `common/child.rs`), on both guard-page paths where the path matters.
#![cfg(target_os = "linux")]

mod common;

use std::hint::black_box;
use std::pin::Pin;

use awaitlet::{AsyncDef, Builder, awaitlet};

use common::{child, poll_once, yield_now};

/// Runs `test`'s child with each of the two guard-page paths, and checks each succeeded.
fn on_both_paths(test: &str) {
    for guard in ["kernel", "mprotect"] {
        let output = child::run(test, guard, &[]);
        assert!(output.status.success(), "{}", child::describe(&output));
    }
}

/// In a child: switches to the path the parent asked for, and says which one is in use.
fn take_path(guard: &str) -> &'static str {
    if guard == "mprotect" {
        assert!(awaitlet::__private::testing::force_mprotect_guards());
    }
    awaitlet::__private::testing::guard_kind()
}

/// Uses `bytes` of the coroutine stack, so its pages become resident.
fn touch_stack(bytes: usize) {
    let buffer = [1u8; 4096];
    black_box(&buffer);
    if bytes > 4096 {
        touch_stack(bytes - 4096);
    }
    black_box(&buffer);
}

#[test]
fn thousands_of_stacks_share_a_few_mappings() {
    let test = "thousands_of_stacks_share_a_few_mappings";
    let Some(guard) = child::case() else {
        return on_both_paths(test);
    };
    let kind = take_path(&guard);
    let before = child::mappings();
    let alive: Vec<_> = (0..5000)
        .map(|_| {
            Builder::new()
                .stack_size(64 * 1024)
                .try_async_def(|| awaitlet!(yield_now()))
                .unwrap()
        })
        .collect();
    let added = child::mappings() - before;
    match kind {
        // Nine slabs at most (16 + 32 + ... + 4096 slots), fewer when the kernel merges them.
        "madvise" => assert!(added <= 10, "{added} mappings for 5,000 stacks"),
        _ => assert!(
            added >= 2 * 5000,
            "{added} mappings for 5,000 mprotect-guarded stacks"
        ),
    }
    drop(alive);
}

/// `count` coroutines, each using `depth` bytes of its stack and then suspended.
fn suspended(count: usize, depth: usize) -> Vec<AsyncDef<()>> {
    let mut coroutines: Vec<_> = (0..count)
        .map(|_| {
            Builder::new().stack_size(64 * 1024).async_def(move || {
                touch_stack(depth);
                awaitlet!(yield_now());
            })
        })
        .collect();
    for coroutine in &mut coroutines {
        assert!(poll_once(Pin::new(coroutine)).is_pending());
    }
    coroutines
}

#[test]
fn finished_coroutines_give_their_memory_back() {
    let test = "finished_coroutines_give_their_memory_back";
    let Some(guard) = child::case() else {
        return on_both_paths(test);
    };
    take_path(&guard);
    const COUNT: usize = 5000;
    const DEPTH: usize = 40 * 1024;
    let before = child::status_bytes("VmRSS");
    let mut coroutines = suspended(COUNT, DEPTH);
    let peak = child::status_bytes("VmRSS");
    assert!(
        peak - before >= COUNT * DEPTH,
        "{} bytes resident for {COUNT} coroutines {DEPTH} bytes deep",
        peak - before
    );
    for coroutine in &mut coroutines {
        assert!(poll_once(Pin::new(coroutine)).is_ready());
    }
    drop(coroutines);
    let after = child::status_bytes("VmRSS");
    // The pool keeps 16 stacks as they are and 1,008 more with their top 16 KiB: 17 MiB here.
    // Everything else went back to the kernel.
    let pool = 16 * (DEPTH + 8192) + 1008 * 16 * 1024;
    assert!(
        after - before <= pool + (8 << 20),
        "{} bytes still resident after {COUNT} coroutines finished (peak {})",
        after - before,
        peak - before,
    );
}

#[test]
fn a_thread_exit_returns_its_pool_and_empty_slabs_are_unmapped() {
    let test = "a_thread_exit_returns_its_pool_and_empty_slabs_are_unmapped";
    let Some(guard) = child::case() else {
        return on_both_paths(test);
    };
    take_path(&guard);
    const COUNT: usize = 12_000;
    let stride = 64 * 1024 + 4096;
    let before = child::status_bytes("VmSize");
    let peak = std::thread::spawn(|| {
        let coroutines = suspended(COUNT, 8 * 1024);
        let peak = child::status_bytes("VmSize");
        // Cancelled, all of them; the pool keeps 1,024 until the thread exits.
        drop(coroutines);
        peak
    })
    .join()
    .unwrap();
    assert!(
        peak - before >= COUNT * stride,
        "{} bytes reserved",
        peak - before
    );
    // What a stack reserved at the peak, its share of the slab with its guard page and colours.
    let per_stack = (peak - before) / COUNT;
    let after = child::status_bytes("VmSize");
    // Left: the one spare slab, 4,096 stacks at most, and the malloc arena glibc reserved for
    // the thread (64 MiB, kept after it exits).
    assert!(
        after.saturating_sub(before) <= 4096 * per_stack + (64 << 20) + (16 << 20),
        "{} bytes still reserved after the thread and its {COUNT} coroutines are gone",
        after.saturating_sub(before),
    );
    // The spare serves the next burst: no new reservation for up to 4,096 stacks.
    let again = suspended(4000, 4096);
    assert!(child::status_bytes("VmSize") <= after + (16 << 20));
    drop(again);
}

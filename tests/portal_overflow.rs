//! A portal's stack is as large as `Builder::stack_size` says, and overflowing it in the middle
//! of a poll is reported like any coroutine overflow, naming the `stack_size` the portal was
//! given. The overflow runs in a child process (this test binary re-run for the one test).

mod common;

use awaitlet::{Builder, awaitlet};

use common::child;

/// Recurses with a page of locals per level, past any stack, awaiting at every level.
fn recurse(depth: u64) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let page = std::hint::black_box([depth as u8; 4096]);
    awaitlet!(std::future::ready(()));
    recurse(depth + 1) + u64::from(page[0])
}

#[test]
fn overflow_inside_a_portals_poll_names_its_stack_size() {
    const TEST: &str = "overflow_inside_a_portals_poll_names_its_stack_size";
    if child::case().is_some() {
        let fut = Builder::new()
            .stack_size(96 * 1024)
            .portal(async { recurse(0) });
        futures::executor::block_on(fut);
        unreachable!("the recursion has no end");
    }
    let output = child::run(TEST, "portal", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the child survived: {stderr}");
    assert!(
        stderr.contains("coroutine has overflowed its stack (stack_size = 98304 bytes)"),
        "the report does not name the portal's stack_size; stderr:\n{stderr}"
    );
}

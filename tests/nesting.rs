//! Nesting: an `AsyncDef` awaited with `awaitlet!` inside another coroutine, to any depth;
//! `#[async_def]` fns calling each other; several nested coroutines suspended at once; and a
//! coroutine moved between outer coroutines while suspended.

mod common;

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use awaitlet::{AsyncDef, Builder, async_def, awaitlet, in_async_def};
use futures::executor::block_on;
use futures::future::join;

use common::{DropLog, pending_then, poll_once, run_noop, yield_now};

/// A chain of `depth` coroutines, each awaiting the next with `awaitlet!`; the innermost is
/// pending `pending` times. Each level adds one and checks it is still inside a coroutine.
fn chain(depth: u32, pending: usize) -> AsyncDef<u32> {
    Builder::new().stack_size(64 * 1024).async_def(move || {
        if depth == 0 {
            return awaitlet!(pending_then(pending, 0));
        }
        let below = awaitlet!(chain(depth - 1, pending));
        assert!(in_async_def(), "level {depth} lost its frame");
        below + 1
    })
}

#[test]
fn nested_fifty_deep() {
    assert_eq!(block_on(chain(50, 3)), 50);
    assert!(!in_async_def());
}

#[test]
fn pending_at_the_bottom_suspends_every_level() {
    // Each `Pending` of the innermost future must surface as exactly one `Pending` of the
    // outermost `AsyncDef`, through all 50 levels, and each resume must reach the bottom again.
    let mut fut = chain(50, 4);
    for i in 0..4 {
        assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Pending, "poll {i}");
    }
    assert_eq!(poll_once(Pin::new(&mut fut)), Poll::Ready(50));
}

#[awaitlet::async_def]
fn lookup(key: String) -> usize {
    awaitlet!(pending_then(1, key.len()))
}

#[awaitlet::async_def]
fn lookup_both(a: String, b: String) -> usize {
    // Another `#[async_def]` fn's future is just a future to `awaitlet!`.
    awaitlet!(lookup(a)) + awaitlet!(lookup(b))
}

#[awaitlet::async_def]
fn report(keys: Vec<String>) -> String {
    let total: usize = keys
        .chunks(2)
        .map(|pair| awaitlet!(lookup_both(pair[0].clone(), pair[1].clone())))
        .sum();
    format!("{total} bytes")
}

#[test]
fn async_def_fns_calling_each_other() {
    let keys = ["a", "bb", "ccc", "dddd"].map(String::from).to_vec();
    assert_eq!(block_on(report(keys)), "10 bytes");
}

// Mutually recursive `#[async_def]` fns. The awaited futures live on coroutine stacks, not in
// the `async fn` state, so no `Box::pin` is needed to break the recursion.
#[awaitlet::async_def]
fn is_even(n: u32) -> bool {
    if n == 0 {
        true
    } else {
        awaitlet!(is_odd(n - 1))
    }
}

#[awaitlet::async_def]
fn is_odd(n: u32) -> bool {
    if n == 0 {
        false
    } else {
        awaitlet!(yield_now());
        awaitlet!(is_even(n - 1))
    }
}

#[test]
fn mutually_recursive_async_def_fns() {
    assert!(block_on(is_even(20)));
    assert!(block_on(is_odd(15)));
    assert!(!block_on(is_even(7)));
}

/// A coroutine that logs each of its steps and suspends after each.
fn stepper(log: &DropLog, name: &'static str, steps: u32) -> AsyncDef<u32> {
    let log = log.clone();
    async_def(move || {
        for step in 0..steps {
            log.push(&format!("{name}{step}"));
            awaitlet!(yield_now());
            assert!(in_async_def());
        }
        steps
    })
}

#[test]
fn two_nested_coroutines_suspended_at_once_under_join() {
    let log = DropLog::new();
    let body_log = log.clone();
    let outer = async_def(move || {
        let (a, b) = awaitlet!(join(stepper(&body_log, "a", 3), stepper(&body_log, "b", 3)));
        // Both inner coroutines were suspended and resumed in turn; the outer one is intact.
        assert!(in_async_def());
        let c = awaitlet!(stepper(&body_log, "c", 1));
        a + b + c
    });
    assert_eq!(block_on(outer), 7);
    assert_eq!(log.entries(), ["a0", "b0", "a1", "b1", "a2", "b2", "c0"]);
}

#[test]
fn nested_coroutines_under_join_at_two_levels() {
    // Two outer coroutines, each joining two inner ones: four stacks suspended at once, under
    // a plain `join` on the executor's stack.
    let log = DropLog::new();
    let outer = |name: &'static str| {
        let log = log.clone();
        async_def(move || {
            let (x, y) = awaitlet!(join(stepper(&log, name, 2), stepper(&log, name, 3)));
            x * 10 + y
        })
    };
    assert_eq!(block_on(join(outer("p"), outer("q"))), (23, 23));
    assert_eq!(log.entries().len(), 2 * (2 + 3));
}

#[test]
fn driving_a_coroutine_synchronously_inside_another() {
    // The outer body finishes an inner coroutine by polling it in a loop (as a sync library
    // might with its own tiny executor); the outer coroutine is not suspended by that.
    let fut = async_def(|| {
        let inner = run_noop(async_def(|| awaitlet!(pending_then(3, 5))), 10);
        (inner, in_async_def(), awaitlet!(pending_then(1, 6)))
    });
    assert_eq!(block_on(fut), (5, true, 6));
}

#[test]
fn a_suspended_coroutine_can_finish_inside_another_one() {
    // Started inside coroutine A (polled once there, by hand), handed out while suspended, and
    // finished by `awaitlet!` inside coroutine B.
    let parked: Rc<RefCell<Option<AsyncDef<&'static str>>>> = Rc::default();
    let slot = Rc::clone(&parked);
    let a = async_def(move || {
        let mut inner = async_def(|| {
            awaitlet!(pending_then(2, ()));
            "finished in b"
        });
        assert!(poll_once(Pin::new(&mut inner)).is_pending());
        *slot.borrow_mut() = Some(inner);
        awaitlet!(yield_now());
        "a done"
    });
    assert_eq!(block_on(a), "a done");

    let inner = parked.borrow_mut().take().unwrap();
    let b = async_def(move || awaitlet!(inner));
    assert_eq!(block_on(b), "finished in b");
}

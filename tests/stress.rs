//! A randomized stress suite: trees of nested `async_def`s and portals that await, panic, get
//! cancelled at random points or get leaked, checked against a model of what each tree must do.
//!
//! A portal node runs the same steps from its future's async code: some await natively, the
//! others run the async_def's sync step code inside a poll (an `async` block or a hand-written
//! `poll`), so its `awaitlet!`s suspend the portal mid-poll, and a cancellation unwinds through
//! those polls. Portals and async_defs nest inside each other both ways.
//!
//! For every generated tree the test checks that
//!
//! - the root's result, or its panic payload, is the one the model computes, and so is the number
//!   of times it returned `Pending` (or it was cancelled exactly where the model says);
//! - every value created on a coroutine was dropped exactly once, except those alive on a leaked
//!   coroutine, which were never dropped;
//! - the thread-local coroutine state is clean afterwards (`in_async_def()` is false and
//!   `try_awaitlet` refuses with the "no coroutine" reason);
//! - no stack was handed to a coroutine while another live one was running on it: each body
//!   registers the address of a local while it lives (forever, if leaked), and two live bodies
//!   must be a whole stack apart.
//!
//! The case count comes from `PROPTEST_CASES` (proptest's default is 256); CI runs fewer under
//! valgrind. With `AWAITLET_STRESS_GUARDS=mprotect` the stacks get `mprotect` guard pages instead
//! of the kernel's `MADV_GUARD_INSTALL` ones, so CI runs the suite on both paths.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use awaitlet::{AsyncDef, Builder, awaitlet, in_async_def, try_awaitlet};
use proptest::prelude::*;

use common::{panic_message, pending_then};

/// One node of a tree: a coroutine that runs its steps in order.
#[derive(Clone, Debug)]
struct Node {
    /// Unique in its tree; the panic payload of a `Panic` step names it.
    id: u32,
    stack_size: usize,
    /// Runs as a portal rather than an async_def.
    portal: bool,
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
enum Step {
    /// `awaitlet!` of a future pending `n` times, then ready with `n`.
    Await(u8),
    /// `awaitlet!` of the child's `AsyncDef`; a panic in it goes on unwinding.
    Child(Node),
    /// The same inside `catch_unwind`: a panic in the child counts as [`CAUGHT`].
    CatchChild(Node),
    /// Polls the child at most `polls` times, then drops (cancels) it: its result counts if it
    /// finished in time.
    CancelChild(Node, u8),
    /// Polls the child once; if it is still pending, leaks it (`mem::forget`).
    LeakChild(Node),
    /// Panics with `node {id}`.
    Panic,
}

/// What a caught child panic adds to its parent's result.
const CAUGHT: u64 = 1000;

fn node_strategy() -> impl Strategy<Value = Node> {
    let leaf = prop::collection::vec(
        prop_oneof![4 => (0u8..4).prop_map(Step::Await), 1 => Just(Step::Panic)],
        0..4,
    )
    .prop_map(|steps| Node {
        id: 0,
        stack_size: 0,
        portal: false,
        steps,
    });
    let tree = leaf.prop_recursive(4, 40, 4, |inner| {
        prop::collection::vec(
            prop_oneof![
                4 => (0u8..4).prop_map(Step::Await),
                1 => Just(Step::Panic),
                3 => inner.clone().prop_map(Step::Child),
                2 => inner.clone().prop_map(Step::CatchChild),
                2 => (inner.clone(), 0u8..6).prop_map(|(node, polls)| Step::CancelChild(node, polls)),
                1 => inner.prop_map(Step::LeakChild),
            ],
            0..5,
        )
        .prop_map(|steps| Node {
            id: 0,
            stack_size: 0,
            portal: false,
            steps,
        })
    });
    (tree, any::<u64>()).prop_map(|(mut root, seed)| {
        number(&mut root, &mut 0, seed);
        root
    })
}

/// Gives every node its id, in the order the body meets them, a stack size of 64, 128 or 256 KiB
/// (a panic unwinding through a debug build needs a few dozen KiB), and its kind.
fn number(node: &mut Node, next: &mut u32, seed: u64) {
    node.id = *next;
    *next += 1;
    node.stack_size = [64, 128, 256][(seed.rotate_left(*next) % 3) as usize] * 1024;
    node.portal = seed.rotate_right(*next) % 2 == 1;
    for step in &mut node.steps {
        match step {
            Step::Child(child)
            | Step::CatchChild(child)
            | Step::CancelChild(child, _)
            | Step::LeakChild(child) => number(child, next, seed),
            Step::Await(_) | Step::Panic => {}
        }
    }
}

/// What running a node to its end does, by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outcome {
    /// The sum of its steps, or the id of the node whose panic ended it.
    result: Result<u64, u32>,
    /// How many polls of its `AsyncDef` returned `Pending` before it finished.
    pendings: u64,
}

fn model(node: &Node) -> Outcome {
    let mut sum = 0;
    let mut pendings = 0;
    for step in &node.steps {
        match step {
            Step::Await(n) => {
                pendings += u64::from(*n);
                sum += u64::from(*n);
            }
            Step::Panic => {
                return Outcome {
                    result: Err(node.id),
                    pendings,
                };
            }
            Step::Child(child) => {
                let outcome = model(child);
                pendings += outcome.pendings;
                match outcome.result {
                    Ok(value) => sum += value,
                    Err(id) => {
                        return Outcome {
                            result: Err(id),
                            pendings,
                        };
                    }
                }
            }
            Step::CatchChild(child) => {
                let outcome = model(child);
                pendings += outcome.pendings;
                sum += outcome.result.unwrap_or(CAUGHT);
            }
            Step::CancelChild(child, polls) => {
                let outcome = model(child);
                // It needs `pendings + 1` polls to finish.
                if outcome.pendings < u64::from(*polls) {
                    pendings += outcome.pendings;
                    match outcome.result {
                        Ok(value) => sum += value,
                        Err(id) => {
                            return Outcome {
                                result: Err(id),
                                pendings,
                            };
                        }
                    }
                } else {
                    pendings += u64::from(*polls);
                }
            }
            Step::LeakChild(child) => {
                let outcome = model(child);
                if outcome.pendings == 0 {
                    match outcome.result {
                        Ok(value) => sum += value,
                        Err(id) => {
                            return Outcome {
                                result: Err(id),
                                pendings,
                            };
                        }
                    }
                }
            }
        }
    }
    Outcome {
        result: Ok(sum),
        pendings,
    }
}

/// Everything the coroutines of one case record.
#[derive(Default)]
struct Ledger {
    /// Per value created on a coroutine: the node that made it, and how often it was dropped.
    values: Vec<(u32, u32)>,
    /// Nodes leaked by a `LeakChild` step while pending.
    leaked: Vec<u32>,
    /// Bodies running now (or leaked): node id -> (address of a local, stack size).
    live: BTreeMap<u32, (usize, usize)>,
    /// Problems seen while running; the test fails with them.
    violations: Vec<String>,
}

type Shared = Rc<RefCell<Ledger>>;

/// A value whose drop is counted.
struct Tracked {
    ledger: Shared,
    index: usize,
}

impl Tracked {
    fn new(ledger: &Shared, node: u32) -> Tracked {
        let mut book = ledger.borrow_mut();
        book.values.push((node, 0));
        Tracked {
            ledger: Rc::clone(ledger),
            index: book.values.len() - 1,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.ledger.borrow_mut().values[self.index].1 += 1;
    }
}

/// Registers a running body's stack while it lives; a leaked body stays registered.
struct Live {
    ledger: Shared,
    node: u32,
}

impl Live {
    fn enter(ledger: &Shared, node: u32, stack_size: usize) -> Live {
        let local = 0u8;
        let address = black_box(&local) as *const u8 as usize;
        let mut book = ledger.borrow_mut();
        // Two stacks in use at once are at least a stack apart; the same stack handed out twice
        // would put both bodies' first locals within a few hundred bytes of each other.
        let clash = book
            .live
            .iter()
            .find(|(_, (other, size))| address.abs_diff(*other) < stack_size.min(*size) / 2);
        if let Some((other, _)) = clash {
            let message = format!("node {node} runs on the stack of live node {other}");
            book.violations.push(message);
        }
        book.live.insert(node, (address, stack_size));
        Live {
            ledger: Rc::clone(ledger),
            node,
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.ledger.borrow_mut().live.remove(&self.node);
    }
}

/// The coroutine that runs `node`.
fn coroutine(node: Node, ledger: Shared) -> AsyncDef<u64> {
    let captured = Tracked::new(&ledger, node.id);
    let builder = Builder::new().stack_size(node.stack_size);
    if node.portal {
        return builder.portal(portal_body(node, ledger, captured));
    }
    builder.async_def(move || {
        let _captured = captured;
        let _live = Live::enter(&ledger, node.id, node.stack_size);
        let mut sum = 0;
        // Set when a `catch_unwind` caught this coroutine's cancellation (the forced unwind of a
        // dropped `AsyncDef`) rather than a planned panic. The body then goes on as such code
        // would, to its next `awaitlet!`, which must go on unwinding; it does not panic, since a
        // panic during cancellation comes out of `drop`.
        let mut cancelled = false;
        for step in node.steps {
            sum += run_step(node.id, step, &ledger, &mut cancelled);
        }
        sum
    })
}

/// A portal node's future: each step awaited natively (an `Await` at an even index), run by
/// sync code in an `async` block, or by sync code in a hand-written `poll`, in turn.
async fn portal_body(node: Node, ledger: Shared, captured: Tracked) -> u64 {
    let _captured = captured;
    let _live = Live::enter(&ledger, node.id, node.stack_size);
    let mut sum = 0;
    let mut cancelled = false;
    for (index, step) in node.steps.into_iter().enumerate() {
        sum += match (index % 3, step) {
            (0, Step::Await(n)) => {
                let _held = Tracked::new(&ledger, node.id);
                pending_then(usize::from(n), u64::from(n)).await
            }
            (1, step) => {
                let mut step = Some(step);
                std::future::poll_fn(|_| {
                    let step = step.take().expect("polled once");
                    Poll::Ready(run_step(node.id, step, &ledger, &mut cancelled))
                })
                .await
            }
            (_, step) => async { run_step(node.id, step, &ledger, &mut cancelled) }.await,
        };
    }
    sum
}

/// Runs one step of `node` from sync code, with a value held across it.
fn run_step(node: u32, step: Step, ledger: &Shared, cancelled: &mut bool) -> u64 {
    let _held = Tracked::new(ledger, node);
    match step {
        Step::Await(n) => awaitlet!(pending_then(usize::from(n), u64::from(n))),
        Step::Panic if *cancelled => 0,
        Step::Panic => std::panic::panic_any(format!("node {node}")),
        Step::Child(child) => awaitlet!(coroutine(child, Rc::clone(ledger))),
        Step::CatchChild(child) => {
            let child = coroutine(child, Rc::clone(ledger));
            match catch_unwind(AssertUnwindSafe(|| awaitlet!(child))) {
                Ok(value) => value,
                Err(payload) if planned(&*payload) => CAUGHT,
                Err(_) => {
                    *cancelled = true;
                    0
                }
            }
        }
        Step::CancelChild(child, polls) => {
            let child = coroutine(child, Rc::clone(ledger));
            awaitlet!(AtMost::new(child, polls)).unwrap_or(0)
        }
        Step::LeakChild(child) => {
            let id = child.id;
            let child = coroutine(child, Rc::clone(ledger));
            awaitlet!(LeakIfPending::new(child, id, Rc::clone(ledger))).unwrap_or(0)
        }
    }
}

/// Polls a future at most `polls` times, then drops it: `Some(output)` if it finished first.
struct AtMost<F> {
    future: Option<Pin<Box<F>>>,
    polls: u8,
}

impl<F> AtMost<F> {
    fn new(future: F, polls: u8) -> Self {
        AtMost {
            future: Some(Box::pin(future)),
            polls,
        }
    }
}

impl<F: Future> Future for AtMost<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            self.future = None;
            return Poll::Ready(None);
        }
        self.polls -= 1;
        let future = self.future.as_mut().expect("polled after completion");
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                self.future = None;
                Poll::Ready(Some(output))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Polls a future once: `Some(output)` if it finished, else it is leaked and the answer `None`.
struct LeakIfPending<F> {
    future: Option<Pin<Box<F>>>,
    node: u32,
    ledger: Shared,
}

impl<F> LeakIfPending<F> {
    fn new(future: F, node: u32, ledger: Shared) -> Self {
        LeakIfPending {
            future: Some(Box::pin(future)),
            node,
            ledger,
        }
    }
}

impl<F: Future> Future for LeakIfPending<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut future = self.future.take().expect("polled after completion");
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending => {
                self.ledger.borrow_mut().leaked.push(self.node);
                std::mem::forget(future);
                Poll::Ready(None)
            }
        }
    }
}

/// The nodes of the subtree of `node`.
fn subtree(node: &Node, into: &mut Vec<u32>) {
    into.push(node.id);
    for step in &node.steps {
        match step {
            Step::Child(child)
            | Step::CatchChild(child)
            | Step::CancelChild(child, _)
            | Step::LeakChild(child) => subtree(child, into),
            Step::Await(_) | Step::Panic => {}
        }
    }
}

fn find(node: &Node, id: u32) -> Option<&Node> {
    if node.id == id {
        return Some(node);
    }
    node.steps.iter().find_map(|step| match step {
        Step::Child(child)
        | Step::CatchChild(child)
        | Step::CancelChild(child, _)
        | Step::LeakChild(child) => find(child, id),
        Step::Await(_) | Step::Panic => None,
    })
}

/// Runs `root` with a no-op waker (every pending future here wakes itself), cancelling it after
/// `cancel_after` polls if that comes first, and checks everything against the model.
fn run_and_check(root: Node, cancel_after: Option<u64>) -> Result<(), TestCaseError> {
    let expected = model(&root);
    let ledger = Shared::default();
    let mut future = Box::pin(coroutine(root.clone(), Rc::clone(&ledger)));
    let mut cx = Context::from_waker(Waker::noop());
    let mut pendings = 0;
    let outcome = loop {
        if cancel_after == Some(pendings) {
            drop(future);
            break None;
        }
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => pendings += 1,
            Ok(Poll::Ready(value)) => break Some(Ok(value)),
            Err(payload) => break Some(Err(panic_message(&*payload))),
        }
    };
    match (outcome, cancel_after) {
        (Some(result), _) => {
            let expected_result = expected.result.map_err(|id| format!("node {id}"));
            prop_assert_eq!(result, expected_result);
            prop_assert_eq!(pendings, expected.pendings);
        }
        (None, Some(at)) => prop_assert!(at <= expected.pendings, "cancelled after the end"),
        (None, None) => unreachable!(),
    }

    let book = ledger.borrow();
    prop_assert!(book.violations.is_empty(), "{:?}", book.violations);
    let mut leaked = Vec::new();
    for &id in &book.leaked {
        subtree(
            find(&root, id).expect("a leaked node of this tree"),
            &mut leaked,
        );
    }
    for (index, &(node, drops)) in book.values.iter().enumerate() {
        prop_assert!(
            drops <= 1,
            "value {} of node {} dropped {} times",
            index,
            node,
            drops
        );
        if drops == 0 {
            prop_assert!(
                leaked.contains(&node),
                "value {} of node {}, not leaked, never dropped",
                index,
                node
            );
        }
    }
    for node in book.live.keys() {
        prop_assert!(
            leaked.contains(node),
            "node {} still registered as running",
            node
        );
    }

    prop_assert!(
        !in_async_def(),
        "the thread still looks like it is inside a coroutine"
    );
    let refusal = try_awaitlet(std::future::ready(())).expect_err("awaitlet! outside");
    prop_assert!(
        refusal
            .to_string()
            .contains("no awaitlet coroutine is running"),
        "{}",
        refusal
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn trees_of_coroutines_run_to_the_model(root in node_strategy()) {
        set_up();
        run_and_check(root, None)?;
    }

    #[test]
    fn trees_cancelled_at_a_random_poll_clean_up(root in node_strategy(), at in 0u64..12) {
        set_up();
        run_and_check(root, Some(at))?;
    }
}

/// Quiet planned panics, and take the guard-page path `AWAITLET_STRESS_GUARDS` asks for.
fn set_up() {
    quiet_panics();
    if std::env::var_os("AWAITLET_STRESS_GUARDS").is_some_and(|guards| guards == "mprotect") {
        assert!(
            awaitlet::__private::testing::force_mprotect_guards(),
            "a stack was made before the guard-page path could be chosen"
        );
        assert_eq!(awaitlet::__private::testing::guard_kind(), "mprotect");
    }
}

/// Whether a panic payload is that of a `Panic` step.
fn planned(payload: &(dyn std::any::Any + Send)) -> bool {
    payload
        .downcast_ref::<String>()
        .is_some_and(|message| message.starts_with("node "))
}

/// The `Panic` steps panic on purpose, thousands of times: keep the default hook from printing
/// each one (the payloads are checked instead). Every other panic is reported as usual.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !planned(info.payload()) {
                default(info);
            }
        }));
    });
}

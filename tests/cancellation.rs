//! Cancellation: dropping an `AsyncDef` before its first poll drops its captures and never runs
//! the body; dropping it while suspended (by hand, `timeout`, `select`, task abort, during a
//! panic, from inside another coroutine) unwinds the coroutine stack, running every destructor on
//! it exactly once, innermost first, before `drop` returns. Leaking it is sound.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use awaitlet::{AsyncDef, async_def, awaitlet, in_async_def};
use futures::executor::block_on;
use futures::future::{Either, select};

use common::{DropCounter, DropLog, Logged, pending_forever, pending_then, poll_once, yield_now};

/// The order in which a suspended [`layered`] coroutine must be torn down: the awaited future
/// (innermost), the helper's local, the body's local, then the closure's capture.
const TEARDOWN: [&str; 4] = ["awaited future", "helper local", "body local", "capture"];

/// A sync helper that holds a value across its `awaitlet!`, which never completes.
fn helper(log: &DropLog) {
    let _local = log.guard("helper local");
    awaitlet!(yield_now());
    awaitlet!(pending_forever(log, "awaited future"));
    unreachable!("the awaited future never completes");
}

/// A coroutine with something to drop at every level of its stack; it suspends forever.
fn layered(log: &DropLog) -> AsyncDef<()> {
    let capture = log.guard("capture");
    let log = log.clone();
    async_def(move || {
        let _capture = &capture;
        let _local = log.guard("body local");
        helper(&log);
    })
}

/// Polls `fut` until it has suspended in the never-completing future (after the yield).
fn suspend<F: Future + Unpin>(fut: &mut F) {
    assert!(poll_once(Pin::new(&mut *fut)).is_pending());
    assert!(poll_once(Pin::new(&mut *fut)).is_pending());
}

#[test]
fn drop_before_the_first_poll_drops_captures_once_and_never_runs_the_body() {
    let counter = DropCounter::new();
    let ran = Rc::new(Cell::new(false));
    let (value, ran_in_body) = (counter.value(), Rc::clone(&ran));
    let fut = async_def(move || {
        ran_in_body.set(true);
        drop(value);
    });
    assert_eq!(counter.dropped(), 0);
    drop(fut);
    assert_eq!(counter.dropped(), 1);
    assert!(
        !ran.get(),
        "the body ran although the future was never polled"
    );
}

#[awaitlet::async_def]
fn owns_arguments(first: Logged, second: Logged, ran: Rc<Cell<bool>>) {
    ran.set(true);
    awaitlet!(yield_now());
    drop((first, second));
}

#[test]
fn drop_before_the_first_poll_of_an_async_def_fn() {
    let log = DropLog::new();
    let ran = Rc::new(Cell::new(false));
    let fut = owns_arguments(log.guard("first"), log.guard("second"), Rc::clone(&ran));
    drop(fut);
    assert_eq!(log.count("first"), 1);
    assert_eq!(log.count("second"), 1);
    assert!(!ran.get());
}

#[test]
fn drop_while_suspended_unwinds_the_whole_stack_in_order() {
    let log = DropLog::new();
    let mut fut = layered(&log);
    suspend(&mut fut);
    assert!(
        log.entries().is_empty(),
        "dropped early: {:?}",
        log.entries()
    );
    drop(fut);
    // Everything, exactly once, innermost first, and all of it before `drop` returned.
    assert_eq!(log.entries(), TEARDOWN);
    assert!(!in_async_def());
}

#[test]
fn drop_of_an_async_def_fn_while_suspended() {
    let log = DropLog::new();
    let ran = Rc::new(Cell::new(false));
    let mut fut = Box::pin(owns_arguments(
        log.guard("first"),
        log.guard("second"),
        Rc::clone(&ran),
    ));
    assert!(poll_once(fut.as_mut()).is_pending());
    assert!(ran.get());
    drop(fut);
    assert_eq!((log.count("first"), log.count("second")), (1, 1));
}

#[test]
fn drop_after_several_resumes() {
    let log = DropLog::new();
    let body_log = log.clone();
    let mut fut = async_def(move || {
        let _first = body_log.guard("first");
        awaitlet!(pending_then(3, ()));
        let _second = body_log.guard("second");
        awaitlet!(pending_then(3, ()));
        let _third = body_log.guard("third");
        awaitlet!(pending_forever(&body_log, "awaited"));
    });
    for _ in 0..10 {
        assert!(poll_once(Pin::new(&mut fut)).is_pending());
    }
    drop(fut);
    assert_eq!(log.entries(), ["awaited", "third", "second", "first"]);
}

#[test]
fn tokio_timeout_cancels_a_suspended_coroutine() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let log = DropLog::new();
    let body_log = log.clone();
    let fut = async_def(move || {
        let _local = body_log.guard("body local");
        awaitlet!(tokio::time::sleep(Duration::from_secs(3600)));
        body_log.push("finished");
    });
    let result =
        runtime.block_on(async { tokio::time::timeout(Duration::from_millis(5), fut).await });
    assert!(result.is_err(), "the hour-long sleep cannot finish first");
    assert_eq!(log.entries(), ["body local"]);
}

#[test]
fn tokio_task_abort_cancels_a_suspended_coroutine() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let log = DropLog::new();
    let task_log = log.clone();
    local.block_on(&runtime, async move {
        let handle = tokio::task::spawn_local(layered(&task_log));
        // Let the task run up to its never-ending `awaitlet!`.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert!(task_log.entries().is_empty());
        handle.abort();
        let error = handle.await.unwrap_err();
        assert!(error.is_cancelled());
    });
    assert_eq!(log.entries(), TEARDOWN);
}

#[test]
fn tokio_select_cancels_the_losing_coroutine() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let log = DropLog::new();
    let winner = runtime.block_on(async {
        tokio::select! {
            biased;
            () = layered(&log) => "coroutine",
            () = pending_then(5, ()) => "other",
        }
    });
    assert_eq!(winner, "other");
    assert_eq!(log.entries(), TEARDOWN);
}

#[test]
fn futures_select_hands_back_the_suspended_coroutine_and_drop_cancels_it() {
    let log = DropLog::new();
    let (value, unfinished) = match block_on(select(layered(&log), pending_then(4, 17))) {
        Either::Right(pair) => pair,
        Either::Left(_) => unreachable!("the coroutine never completes"),
    };
    assert_eq!(value, 17);
    // Still suspended, untouched: `select` gives it back rather than dropping it.
    assert!(log.entries().is_empty());
    drop(unfinished);
    assert_eq!(log.entries(), TEARDOWN);
}

#[test]
fn cancelling_a_coroutine_from_inside_another() {
    // The outer body races a suspended inner coroutine and drops the loser: the inner stack is
    // unwound there, and the outer coroutine is still able to suspend afterwards.
    let log = DropLog::new();
    let body_log = log.clone();
    let fut = async_def(move || {
        let inner = layered(&body_log);
        let (value, loser) = match awaitlet!(select(inner, pending_then(3, 1))) {
            Either::Right(pair) => pair,
            Either::Left(_) => unreachable!(),
        };
        drop(loser);
        let after_drop = body_log.entries();
        (
            value,
            after_drop,
            in_async_def(),
            awaitlet!(pending_then(2, 2)),
        )
    });
    let (value, after_drop, inside, next) = block_on(fut);
    assert_eq!(value, 1);
    assert_eq!(after_drop, TEARDOWN);
    assert!(inside, "the outer coroutine lost its frame");
    assert_eq!(next, 2);
}

#[test]
fn dropping_an_outer_coroutine_unwinds_the_inner_one_it_awaits() {
    let log = DropLog::new();
    let body_log = log.clone();
    let mut outer = async_def(move || {
        let _outer_local = body_log.guard("outer local");
        awaitlet!(layered(&body_log));
    });
    suspend(&mut outer);
    assert!(log.entries().is_empty());
    drop(outer);
    let mut expected = TEARDOWN.to_vec();
    expected.push("outer local");
    assert_eq!(log.entries(), expected);
}

#[test]
fn forgetting_a_suspended_coroutine_is_sound() {
    let log = DropLog::new();
    let shared = Rc::new(());
    let on_stack = Rc::clone(&shared);
    let mut fut = layered(&log);
    let mut also_holds = async_def(move || {
        let _held = on_stack;
        awaitlet!(std::future::pending::<()>());
    });
    suspend(&mut fut);
    assert!(poll_once(Pin::new(&mut also_holds)).is_pending());

    std::mem::forget(fut);
    std::mem::forget(also_holds);
    // Leaked means leaked: nothing on those stacks was dropped, nothing was freed under it.
    assert!(log.entries().is_empty(), "{:?}", log.entries());
    assert_eq!(Rc::strong_count(&shared), 2);
    assert!(!in_async_def());

    // The thread is fine afterwards.
    let fresh = async_def(|| awaitlet!(pending_then(3, "fresh")));
    assert_eq!(block_on(fresh), "fresh");
}

#[test]
fn forgetting_a_boxed_pinned_coroutine_is_sound() {
    let log = DropLog::new();
    let mut pinned: Pin<Box<AsyncDef<()>>> = Box::pin(layered(&log));
    assert!(poll_once(pinned.as_mut()).is_pending());
    assert!(poll_once(pinned.as_mut()).is_pending());
    std::mem::forget(pinned);
    assert!(log.entries().is_empty());
    assert_eq!(block_on(async_def(|| awaitlet!(yield_now()))), ());
}

/// Sends its name when dropped.
struct Notify(&'static str, std::sync::mpsc::Sender<&'static str>);

impl Drop for Notify {
    fn drop(&mut self) {
        let _ = self.1.send(self.0);
    }
}

thread_local! {
    static PARKED: std::cell::RefCell<Option<AsyncDef<()>>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_suspended_coroutine_in_a_thread_local_is_unwound_when_its_thread_exits() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let capture = Notify("capture", tx.clone());
        let mut fut = async_def(move || {
            let _capture = &capture;
            let _local = Notify("local", tx);
            awaitlet!(std::future::pending::<()>());
        });
        assert!(poll_once(Pin::new(&mut fut)).is_pending());
        PARKED.with_borrow_mut(|parked| *parked = Some(fut));
    })
    .join()
    .expect("the thread exited cleanly");
    let dropped: Vec<_> = rx.try_iter().collect();
    assert_eq!(dropped, ["local", "capture"]);
}

/// Drops the coroutine it holds from its own destructor.
struct DropsCoroutine(Option<AsyncDef<()>>);

impl Drop for DropsCoroutine {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

#[test]
fn dropping_a_suspended_coroutine_during_a_panic_still_unwinds_it() {
    let log = DropLog::new();
    let mut fut = layered(&log);
    suspend(&mut fut);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        let _holder = DropsCoroutine(Some(fut));
        panic!("outer panic");
    }))
    .unwrap_err();
    // The outer panic is untouched, and the coroutine stack was unwound during it.
    assert_eq!(common::panic_message(&*payload), "outer panic");
    assert_eq!(log.entries(), TEARDOWN);
    assert!(!in_async_def());
}

#[test]
fn the_awaited_future_is_dropped_in_place() {
    // A `!Unpin` future pinned on the coroutine stack is dropped where it was pinned.
    struct Pinned {
        address: Rc<Cell<usize>>,
        _pin: std::marker::PhantomPinned,
    }
    impl Future for Pinned {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            self.address.set(std::ptr::from_ref(&*self) as usize);
            std::task::Poll::Pending
        }
    }
    impl Drop for Pinned {
        fn drop(&mut self) {
            let here = std::ptr::from_ref(&*self) as usize;
            assert_eq!(self.address.get(), here, "moved after being pinned");
            self.address.set(0);
        }
    }
    let address = Rc::new(Cell::new(0));
    let in_body = Rc::clone(&address);
    let mut fut = async_def(move || {
        awaitlet!(Pinned {
            address: in_body,
            _pin: std::marker::PhantomPinned,
        })
    });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert_ne!(address.get(), 0);
    drop(fut);
    assert_eq!(address.get(), 0, "the pinned future was not dropped");
}

#[test]
fn cancellation_unwinds_as_if_the_awaitlet_had_panicked() {
    // Documented semantics: destructors on a cancelled stack run during an unwind, so they see
    // `thread::panicking()`, and a std `Mutex` guard held across the cancelled `awaitlet!` poisons
    // its mutex (unlike dropping an ordinary `async fn` future). Code that must tell the two apart
    // can check `in_async_def()` and `thread::panicking()`.
    let mutex = Rc::new(std::sync::Mutex::new(0));
    let saw_panicking = Rc::new(Cell::new(false));
    let (in_body, flag) = (Rc::clone(&mutex), Rc::clone(&saw_panicking));
    let mut fut = async_def(move || {
        let _flag = OnDrop(move || flag.set(std::thread::panicking()));
        let mut guard = in_body.lock().unwrap();
        *guard += 1;
        awaitlet!(std::future::pending::<()>());
    });
    assert!(poll_once(Pin::new(&mut fut)).is_pending());
    assert!(!mutex.is_poisoned());
    drop(fut);
    assert!(saw_panicking.get());
    assert!(mutex.is_poisoned());
    assert_eq!(*mutex.lock().unwrap_or_else(|e| e.into_inner()), 1);
    assert!(!std::thread::panicking());
}

/// Runs a closure when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// Sync code that isolates failures of each job with `catch_unwind`, as request loops do.
fn serve(log: &DropLog) {
    loop {
        let job = awaitlet!(pending_then(1, 1));
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let _in_job = log.guard("job");
            awaitlet!(pending_forever(log, "job io"));
            job
        }));
        if outcome.is_err() {
            log.push("job failed");
        }
    }
}

#[test]
fn cancellation_is_not_swallowed_by_catch_unwind_in_the_body() {
    // Dropping the coroutine while a job is suspended must still just unwind the stack: the
    // body's own `catch_unwind` may see the unwind, but its next `awaitlet!` must not turn the
    // cancellation into a panic out of `drop`.
    let log = DropLog::new();
    let body_log = log.clone();
    let mut fut = async_def(move || serve(&body_log));
    suspend(&mut fut);
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(fut)));
    let entries = log.entries();
    assert!(dropped.is_ok(), "drop panicked; log: {entries:?}");
    assert_eq!(log.count("job io"), 1, "{entries:?}");
    assert_eq!(log.count("job"), 1, "{entries:?}");
}

#[test]
fn a_caught_cancellation_inside_a_parents_cancellation_goes_on_unwinding() {
    // The inner body catches its own cancellation and awaits again. It is cancelled while its
    // parent is being cancelled, so the thread is unwinding all along; the next `awaitlet!` must
    // go on unwinding the inner coroutine rather than refuse (a panic during unwinding would
    // abort the process), and every destructor runs once. Found by the stress suite.
    let counter = DropCounter::new();
    let (outer_value, inner_value) = (counter.value(), counter.value());
    let after_catch = Rc::new(Cell::new(false));
    let reached = Rc::clone(&after_catch);
    let mut outer = Box::pin(async_def(move || {
        let _outer_value = outer_value;
        let inner = async_def(move || {
            let _inner_value = inner_value;
            let caught = catch_unwind(AssertUnwindSafe(|| {
                awaitlet!(std::future::pending::<()>());
            }));
            assert!(
                caught.is_err(),
                "the pending await can only end by cancellation"
            );
            reached.set(true);
            awaitlet!(std::future::ready(()));
            unreachable!("a cancelled coroutine went on after its next await");
        });
        awaitlet!(inner);
    }));
    assert!(poll_once(outer.as_mut()).is_pending());
    drop(outer);
    assert!(
        after_catch.get(),
        "the inner body did not get to catch its cancellation"
    );
    assert_eq!(counter.dropped(), 2);
    assert!(!in_async_def());
}

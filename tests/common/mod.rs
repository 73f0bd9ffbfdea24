//! Helpers shared by the integration tests: deterministic futures, drop bookkeeping, manual polls.
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

#[cfg(target_os = "linux")]
pub mod child;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A future that returns `Pending` `n` times, then `Ready(value)`.
///
/// Before each `Pending` it wakes its own task, so any executor, including a busy loop with a
/// no-op waker, makes progress: the suspend/resume path is exercised without timers or threads.
#[derive(Debug)]
pub struct PendingThen<T> {
    remaining: usize,
    value: Option<T>,
}

/// `PendingThen` that is pending `n` times and then yields `value`.
pub fn pending_then<T>(n: usize, value: T) -> PendingThen<T> {
    PendingThen {
        remaining: n,
        value: Some(value),
    }
}

/// Pending once, then `()`: a task yield, as `tokio::task::yield_now` but executor-agnostic.
pub fn yield_now() -> PendingThen<()> {
    pending_then(1, ())
}

impl<T> Unpin for PendingThen<T> {}

impl<T> Future for PendingThen<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.remaining == 0 {
            Poll::Ready(
                self.value
                    .take()
                    .expect("`PendingThen` polled after completion"),
            )
        } else {
            self.remaining -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A log of events, in order, shared between a test and the values it hands to a coroutine.
#[derive(Clone, Default)]
pub struct DropLog(Rc<RefCell<Vec<String>>>);

impl fmt::Debug for DropLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DropLog").field(&self.0.borrow()).finish()
    }
}

impl DropLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// A value that writes `name` to this log when dropped.
    pub fn guard(&self, name: &str) -> Logged {
        Logged {
            name: name.to_string(),
            log: self.clone(),
        }
    }

    /// Appends an event by hand (for things that are not drops).
    pub fn push(&self, event: &str) {
        self.0.borrow_mut().push(event.to_string());
    }

    /// Everything logged so far, in order.
    pub fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// How many times `name` was logged.
    pub fn count(&self, name: &str) -> usize {
        self.0
            .borrow()
            .iter()
            .filter(|entry| *entry == name)
            .count()
    }
}

/// Writes its name to a [`DropLog`] when dropped.
#[derive(Debug)]
pub struct Logged {
    name: String,
    log: DropLog,
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.log.push(&self.name);
    }
}

/// Counts how many of its [`Counted`] values were dropped.
#[derive(Clone, Debug, Default)]
pub struct DropCounter(Rc<Cell<usize>>);

impl DropCounter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn value(&self) -> Counted {
        Counted(self.clone())
    }

    pub fn dropped(&self) -> usize {
        self.0.get()
    }
}

/// Increments its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct Counted(DropCounter);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.0.set(self.0.0.get() + 1);
    }
}

/// A future that never completes and logs `name` when dropped: the awaited future of a
/// coroutine that is cancelled while suspended.
pub fn pending_forever(log: &DropLog, name: &str) -> impl Future<Output = ()> + 'static {
    let guard = log.guard(name);
    async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `future` with a no-op waker until it is ready, at most `max_polls` times.
///
/// Only for futures that make progress on every poll (such as [`PendingThen`]).
pub fn run_noop<F: Future>(future: F, max_polls: usize) -> F::Output {
    let mut future = pin!(future);
    for _ in 0..max_polls {
        if let Poll::Ready(output) = poll_once(future.as_mut()) {
            return output;
        }
    }
    panic!("future not ready after {max_polls} polls");
}

/// A waker that counts its wakes.
#[derive(Debug, Default)]
pub struct CountingWaker {
    wakes: AtomicUsize,
}

impl CountingWaker {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// The text of a panic payload that is a `String` or a `&'static str`.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_string()
    } else {
        panic!("panic payload is neither a String nor a &str")
    }
}

/// Runs `f`, expecting it to panic, and returns the panic's message.
pub fn panic_text<R>(f: impl FnOnce() -> R) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(payload) => panic_message(&*payload),
    }
}

/// Counts drops of its [`SendCounted`] values, from any thread: for coroutines on pool threads.
#[derive(Clone, Debug, Default)]
pub struct SendDropCounter(Arc<AtomicUsize>);

impl SendDropCounter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn value(&self) -> SendCounted {
        SendCounted(self.clone())
    }

    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits until `expected` values were dropped, for drops that happen on another thread
    /// shortly after an event this thread saw. Panics after `patience`: a hang, not a slow run.
    pub fn wait_for(&self, expected: usize, patience: std::time::Duration) {
        let deadline = std::time::Instant::now() + patience;
        while self.dropped() < expected {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {expected} values dropped after {patience:?}",
                self.dropped()
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

/// Increments its [`SendDropCounter`] when dropped.
#[derive(Debug)]
pub struct SendCounted(SendDropCounter);

impl Drop for SendCounted {
    fn drop(&mut self) {
        self.0.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A command that runs this test binary again, through the runner named by
/// `AWAITLET_TEST_RUNNER` if it is set (an emulator such as `qemu-aarch64 -L /usr/aarch64-linux-gnu`,
/// as cargo's runner for a foreign target: without it, the binary could not be executed).
pub fn this_test_binary() -> std::process::Command {
    let binary = std::env::current_exe().expect("the test binary's path");
    let runner = std::env::var("AWAITLET_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = std::process::Command::new(program);
            command.args(words).arg(binary);
            command
        }
        None => std::process::Command::new(binary),
    }
}

/// The name of the thread this runs on.
pub fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_string()
}

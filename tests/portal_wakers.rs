//! A portal's waker: the futures inside it see one stable waker, which wakes whichever task
//! polled the portal last, from any thread, so a portal may move between tasks while suspended,
//! in the middle of a poll or not.

mod common;

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use awaitlet::{awaitlet, portal};
use futures::StreamExt;
use futures::executor::block_on;
use futures::stream::FuturesUnordered;

use common::CountingWaker;

/// A future that keeps the waker of its *first* poll only, and is ready once `fire` was called:
/// the waker it keeps must still reach the right task after the portal moved.
#[derive(Clone, Default)]
struct Signal(Rc<RefCell<(bool, Option<Waker>)>>);

impl Signal {
    fn fire(&self) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.0 = true;
            state.1.take()
        };
        waker.expect("the signal was polled").wake();
    }

    fn wait(&self) -> impl Future<Output = ()> + 'static {
        let signal = self.clone();
        std::future::poll_fn(move |cx| {
            let mut state = signal.0.borrow_mut();
            if state.0 {
                return Poll::Ready(());
            }
            state.1.get_or_insert_with(|| cx.waker().clone());
            Poll::Pending
        })
    }
}

fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Arc<CountingWaker>) -> Poll<F::Output> {
    let waker = Waker::from(Arc::clone(waker));
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// Sync code that awaits the signal, called from async code.
fn sync_wait(signal: &Signal) -> u32 {
    awaitlet!(signal.wait());
    7
}

#[test]
fn a_wake_reaches_the_task_that_polled_last_after_a_native_await() {
    let signal = Signal::default();
    let waiting = signal.wait();
    let mut fut = portal(async move {
        waiting.await;
        1
    });
    let (first, second) = (CountingWaker::new(), CountingWaker::new());
    assert!(poll_with(&mut fut, &first).is_pending());
    assert!(poll_with(&mut fut, &second).is_pending());
    signal.fire();
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_with(&mut fut, &second), Poll::Ready(1));
}

#[test]
fn a_wake_reaches_the_task_that_polled_last_when_suspended_mid_poll() {
    let signal = Signal::default();
    let inside = signal.clone();
    let mut fut = portal(async move { async { sync_wait(&inside) }.await });
    let (first, second, third) = (
        CountingWaker::new(),
        CountingWaker::new(),
        CountingWaker::new(),
    );
    assert!(poll_with(&mut fut, &first).is_pending());
    assert!(poll_with(&mut fut, &second).is_pending());
    assert!(poll_with(&mut fut, &third).is_pending());
    signal.fire();
    assert_eq!((first.wakes(), second.wakes(), third.wakes()), (0, 0, 1));
    assert_eq!(poll_with(&mut fut, &first), Poll::Ready(7));
}

#[test]
fn a_wake_from_another_thread_reaches_the_poller() {
    let (sender, receiver) = futures::channel::oneshot::channel::<u32>();
    let mut fut = portal(async move { awaitlet!(receiver).expect("sent") });
    let waker = CountingWaker::new();
    assert!(poll_with(&mut fut, &waker).is_pending());
    std::thread::spawn(move || sender.send(5).expect("the portal is waiting"))
        .join()
        .expect("the sending thread");
    assert_eq!(waker.wakes(), 1);
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(5));
}

#[test]
fn portals_in_futures_unordered_each_wake_their_own_slot() {
    // `FuturesUnordered` polls each future with a waker of its own slot: a portal that woke a
    // stale slot would never be polled again, and `block_on` would never return.
    let channels: Vec<_> = (0..8)
        .map(|_| futures::channel::oneshot::channel::<u32>())
        .collect();
    let (senders, receivers): (Vec<_>, Vec<_>) = channels.into_iter().unzip();
    let mut portals: FuturesUnordered<_> = receivers
        .into_iter()
        .map(|receiver| portal(async move { awaitlet!(receiver).expect("sent") * 2 }))
        .collect();
    let sender_thread = std::thread::spawn(move || {
        for (n, sender) in senders.into_iter().enumerate().rev() {
            sender.send(n as u32).expect("a portal is waiting");
        }
    });
    let mut results = block_on(async {
        let mut results = Vec::new();
        while let Some(result) = portals.next().await {
            results.push(result);
        }
        results
    });
    sender_thread.join().expect("the sending thread");
    results.sort_unstable();
    assert_eq!(results, [0, 2, 4, 6, 8, 10, 12, 14]);
}

#[test]
fn a_portal_moved_between_tokio_tasks_completes_in_the_second() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let local = tokio::task::LocalSet::new();
    let value = local.block_on(&runtime, async {
        let (sender, receiver) = tokio::sync::oneshot::channel::<u32>();
        let mut fut = portal(async move { awaitlet!(receiver).expect("sent") });
        // The first task polls the portal once, then hands it over and finishes.
        let handed = tokio::task::spawn_local(async move {
            assert!(futures::poll!(&mut fut).is_pending());
            // In an `Option`, so that the task's output is not itself a future (clippy).
            Some(fut)
        })
        .await
        .expect("the first task");
        let second = tokio::task::spawn_local(handed.expect("handed over"));
        tokio::task::yield_now().await;
        sender.send(3).expect("the portal is waiting");
        second.await.expect("the second task")
    });
    assert_eq!(value, 3);
}

#[test]
fn a_wake_from_another_thread_reaches_the_task_that_polled_last() {
    let (sender, receiver) = futures::channel::oneshot::channel::<u32>();
    let mut fut = portal(async move { awaitlet!(receiver).expect("sent") });
    let (first, second) = (CountingWaker::new(), CountingWaker::new());
    assert!(poll_with(&mut fut, &first).is_pending());
    assert!(poll_with(&mut fut, &second).is_pending());
    std::thread::spawn(move || sender.send(6).expect("the portal is waiting"))
        .join()
        .expect("the sending thread");
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_with(&mut fut, &second), Poll::Ready(6));
}

#[test]
fn a_waker_kept_after_the_portal_finished_is_harmless() {
    // A future may keep the portal's waker past the portal's end, and wake it from anywhere.
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let keeper = Rc::clone(&kept);
    let mut fut = portal(std::future::poll_fn(move |cx| {
        *keeper.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(1)
    }));
    let waker = CountingWaker::new();
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(1));
    drop(fut);
    let stable = kept.borrow_mut().take().expect("the future kept the waker");
    // Nobody is woken, on this thread or another: the portal never suspended, so it never kept
    // its poller's waker.
    stable.wake_by_ref();
    std::thread::spawn(move || stable.wake())
        .join()
        .expect("the waking thread");
    assert_eq!(waker.wakes(), 0);
}

#[test]
fn a_wake_from_another_thread_before_the_first_suspension_is_delivered() {
    // The first poll hands the waker to a thread that wakes it at once, before the portal has
    // suspended even once: the wake must still reach the poller.
    let mut woken = false;
    let mut fut = portal(std::future::poll_fn(move |cx| {
        if woken {
            return Poll::Ready(2);
        }
        woken = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || waker.wake())
            .join()
            .expect("the waking thread");
        Poll::Pending
    }));
    let waker = CountingWaker::new();
    assert!(poll_with(&mut fut, &waker).is_pending());
    assert_eq!(waker.wakes(), 1, "the early wake was lost");
    assert_eq!(poll_with(&mut fut, &waker), Poll::Ready(2));
}

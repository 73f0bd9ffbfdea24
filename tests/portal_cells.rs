//! A portal's waker cell: each thread reuses the cells of finished portals, so a portal costs no
//! allocation in steady state. A cell is reused only when no waker points to it any more,
//! wherever its wakers were cloned and dropped; a waker that outlives its portal keeps the cell
//! to itself and never reaches a later portal's task, and the cell is freed with its last waker.
//! Run under valgrind in CI, which also checks that no cell is used after it is freed.

mod common;

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use awaitlet::{AsyncDef, portal};

use common::CountingWaker;

fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Arc<CountingWaker>) -> Poll<F::Output> {
    let waker = Waker::from(Arc::clone(waker));
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// A portal that is `Pending` once without waking anyone, then ready; its future first runs
/// `first_poll` with the portal's waker.
fn pending_once(mut first_poll: impl FnMut(&Waker) + 'static) -> AsyncDef<()> {
    let mut polled = false;
    portal(std::future::poll_fn(move |cx| {
        if polled {
            return Poll::Ready(());
        }
        polled = true;
        first_poll(cx.waker());
        Poll::Pending
    }))
}

/// Runs `fut` to completion, polled by `waker`: `Pending` once, then `Ready`.
fn finish(mut fut: AsyncDef<()>, waker: &Arc<CountingWaker>) {
    assert!(poll_with(&mut fut, waker).is_pending());
    assert_eq!(poll_with(&mut fut, waker), Poll::Ready(()));
}

/// A portal that stays `Pending`, polled once by `waker`: its cell keeps `waker`.
fn suspended(waker: &Arc<CountingWaker>) -> AsyncDef<()> {
    let mut fut = portal(std::future::pending::<()>());
    assert!(poll_with(&mut fut, waker).is_pending());
    fut
}

/// Runs a portal that is `Pending` once, then ready, whose future first hands its waker to
/// `with_waker`; returns the address of the portal's cell, which its waker points to.
fn cell_of_a_portal(with_waker: impl Fn(&Waker) + 'static) -> usize {
    let cell = Rc::new(Cell::new(0));
    let seen = Rc::clone(&cell);
    let fut = pending_once(move |waker| {
        seen.set(waker.data() as usize);
        with_waker(waker);
    });
    finish(fut, &CountingWaker::new());
    cell.get()
}

#[test]
fn a_finished_portal_s_cell_serves_the_next_portal() {
    // No allocation per portal in steady state: a portal that finished leaves its cell to the
    // next one, whatever its future did with its waker on this thread and others.
    let first = cell_of_a_portal(|_| {});
    // Were the cell freed, the allocator would hand its memory to one of these, rather than to
    // the next portal's cell.
    let _taken: Vec<Box<[u8]>> = (1..=64)
        .map(|n| vec![1; n * 8].into_boxed_slice())
        .collect();
    let second = cell_of_a_portal(|waker| {
        let there = waker.clone();
        let back = std::thread::spawn(move || {
            there.wake_by_ref();
            there.clone()
        })
        .join()
        .expect("the cloning thread");
        let here = waker.clone();
        here.wake();
        drop(back);
    });
    let third = cell_of_a_portal(|_| {});
    assert_eq!((first, second), (third, third));
    // A clone kept past the portal's end keeps the cell.
    let (kept_tx, kept) = mpsc::channel();
    let fourth = cell_of_a_portal(move |waker| kept_tx.send(waker.clone()).expect("kept"));
    assert_eq!(fourth, third);
    assert_ne!(cell_of_a_portal(|_| {}), fourth);
    drop(kept);
}

#[test]
fn a_waker_kept_from_a_finished_portal_never_wakes_the_next_portal_s_task() {
    let (kept_tx, kept) = mpsc::channel();
    let first = CountingWaker::new();
    finish(
        pending_once(move |waker| kept_tx.send(waker.clone()).expect("the test keeps it")),
        &first,
    );
    let kept = kept.recv().expect("the first portal kept its waker");
    // The next portal on this thread must not have been given the cell `kept` points to.
    let second = CountingWaker::new();
    let next = suspended(&second);
    kept.wake_by_ref();
    std::thread::spawn({
        let kept = kept.clone();
        move || kept.wake()
    })
    .join()
    .expect("the waking thread");
    assert_eq!(
        second.wakes(),
        0,
        "a stale waker woke another portal's task"
    );
    drop(kept);
    drop(next);
}

#[test]
fn a_waker_cloned_on_another_thread_keeps_the_cell_when_the_original_comes_back() {
    // The portal's future clones its waker here, another thread clones that clone and hands both
    // back, and the first clone is dropped here: this thread's clones and drops cancel out, and
    // only the other thread's count shows that a waker is still alive.
    let (kept_tx, kept) = mpsc::channel();
    let first = CountingWaker::new();
    finish(
        pending_once(move |waker| {
            let here = waker.clone();
            let (here, there) = std::thread::spawn(move || {
                let there = here.clone();
                (here, there)
            })
            .join()
            .expect("the cloning thread");
            drop(here);
            kept_tx.send(there).expect("the test keeps it");
        }),
        &first,
    );
    let kept = kept.recv().expect("the first portal's waker was cloned");
    let second = CountingWaker::new();
    let next = suspended(&second);
    kept.wake_by_ref();
    assert_eq!(
        second.wakes(),
        0,
        "a stale waker woke another portal's task"
    );
    drop(next);
    // Dropped on another thread: the last waker of a cell its portal gave up frees it there.
    std::thread::spawn(move || drop(kept))
        .join()
        .expect("the dropping thread");
}

#[test]
fn a_reused_cell_does_not_wake_the_previous_portal_s_task() {
    let first = CountingWaker::new();
    // Suspends once, so its cell keeps `first`'s waker until it finishes; no waker outlives it,
    // so the next portal on this thread gets the same cell.
    finish(pending_once(|_| {}), &first);
    // The next portal's first poll hands its waker to a thread that wakes it at once, before the
    // portal has suspended: that wake must reach this portal's task, not the last one's.
    let second = CountingWaker::new();
    let mut next = pending_once(|waker| {
        let waker = waker.clone();
        std::thread::spawn(move || waker.wake())
            .join()
            .expect("the waking thread");
    });
    assert!(poll_with(&mut next, &second).is_pending());
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_with(&mut next, &second), Poll::Ready(()));
}

#[test]
fn a_wake_from_another_thread_during_a_new_task_s_poll_reaches_it() {
    // Suspended by one task, then polled by another, during whose poll another thread wakes the
    // portal's waker: the new task must be woken, even though the wake came while the portal
    // still kept the old task's waker.
    let mut polls = 0;
    let mut fut = portal(std::future::poll_fn(move |cx| {
        polls += 1;
        match polls {
            1 => Poll::Pending,
            2 => {
                let waker = cx.waker().clone();
                std::thread::spawn(move || waker.wake())
                    .join()
                    .expect("the waking thread");
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    }));
    let (first, second) = (CountingWaker::new(), CountingWaker::new());
    assert!(poll_with(&mut fut, &first).is_pending());
    assert!(poll_with(&mut fut, &second).is_pending());
    assert_eq!(second.wakes(), 1, "the wake was lost");
    assert_eq!(poll_with(&mut fut, &second), Poll::Ready(()));
}

#[test]
fn a_waker_of_a_portal_leaked_on_a_thread_that_ended_still_wakes_its_task() {
    // The portal is leaked on a thread that then ends; a later thread may reuse that thread's
    // thread-local memory, and with it the mark the cell names as its owner.
    let polled_by = CountingWaker::new();
    let kept = std::thread::spawn({
        let polled_by = Arc::clone(&polled_by);
        move || {
            let (kept_tx, kept) = mpsc::channel();
            let mut fut = pending_once(move |waker| {
                kept_tx.send(waker.clone()).expect("the thread keeps it")
            });
            assert!(poll_with(&mut fut, &polled_by).is_pending());
            std::mem::forget(fut);
            kept.recv().expect("the portal kept its waker")
        }
    })
    .join()
    .expect("the leaking thread");
    kept.wake_by_ref();
    for _ in 0..4 {
        let kept = kept.clone();
        std::thread::spawn(move || {
            // A portal of this thread's own beside the stale waker.
            let other = CountingWaker::new();
            finish(pending_once(|waker| waker.wake_by_ref()), &other);
            kept.wake();
        })
        .join()
        .expect("a later thread");
    }
    assert_eq!(polled_by.wakes(), 5);
}

#[test]
fn more_portals_finishing_at_once_than_a_thread_keeps_cells_for() {
    // Past the pool's capacity cells are freed, and those it keeps are freed when the thread
    // ends (valgrind checks both).
    std::thread::spawn(|| {
        let waker = CountingWaker::new();
        let mut portals: Vec<_> = (0..1100)
            .map(|_| {
                awaitlet::Builder::new()
                    .stack_size(16 * 1024)
                    .portal(std::future::pending::<()>())
            })
            .collect();
        for fut in &mut portals {
            assert!(poll_with(fut, &waker).is_pending());
        }
        drop(portals);
        for _ in 0..1100 {
            finish(pending_once(|_| {}), &waker);
        }
    })
    .join()
    .expect("the thread with many portals");
}

#[test]
fn a_portal_is_unwind_safe() {
    // As every `AsyncDef`: a portal whose poll panicked may be inspected and dropped after
    // `catch_unwind`.
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>(_: &T) {}
    unwind_safe(&portal(async { 1 }));
}

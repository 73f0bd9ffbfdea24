//! What dropping a suspended `AsyncDef` does where nothing can unwind.
//!
//! Run as `cargo run -p awaitlet-panic-abort --profile panic-abort -- <case>` (see `.ci/run`):
//!
//! - `leak`: a suspended safe `async_def` is dropped. Its stack cannot be unwound, so it is leaked:
//!   the process goes on, and the destructors on that stack never run. Exits 0.
//! - `unchecked`: a suspended `async_def_unchecked` is dropped. Leaking would leave its borrows
//!   dangling, so the process aborts with a message (SIGABRT).

use std::cell::Cell;
use std::future::{Future, pending};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Counts its drops, to show which destructors ran.
struct Counted(Rc<Cell<u32>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

fn suspend_then_drop<R>(mut future: awaitlet::AsyncDef<R>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(Pin::new(&mut future).poll(&mut cx), Poll::Pending));
    drop(future);
}

fn main() {
    if cfg!(not(panic = "abort")) {
        eprintln!(
            "build this with `--profile panic-abort`: it checks what happens without unwinding"
        );
        std::process::exit(2);
    }
    match std::env::args().nth(1).as_deref() {
        Some("leak") => {
            let drops = Rc::new(Cell::new(0));
            let counted = Counted(drops.clone());
            suspend_then_drop(awaitlet::async_def(move || {
                let _on_stack = counted;
                awaitlet::awaitlet(pending::<()>())
            }));
            assert_eq!(drops.get(), 0, "a destructor on the leaked stack ran");
            // The thread's coroutine state is clean: a new coroutine runs to completion.
            let mut cx = Context::from_waker(Waker::noop());
            let mut next = awaitlet::async_def(|| awaitlet::awaitlet(async { 7 }));
            assert_eq!(Pin::new(&mut next).poll(&mut cx), Poll::Ready(7));
            println!("leak: the suspended coroutine was leaked, and the process went on");
        }
        Some("unchecked") => {
            let borrowed = String::from("borrowed");
            // SAFETY: this deliberately breaks nothing: the future is dropped while `borrowed`
            // is alive, and never leaked; dropping it is what aborts.
            let future = unsafe {
                awaitlet::async_def_unchecked(|| {
                    let _borrow = &borrowed;
                    awaitlet::awaitlet(pending::<()>())
                })
            };
            suspend_then_drop(future);
            unreachable!("dropping a suspended unchecked future must abort");
        }
        _ => panic!("usage: awaitlet-panic-abort leak|unchecked"),
    }
}

//! Tracing spans that belong to a coroutine (feature `tracing`).
//!
//! A subscriber keeps one stack of entered spans per thread, and sync code assumes that stack is
//! its own: `let _guard = span.enter();` held across an `awaitlet!` stays on the thread's stack
//! while the coroutine is suspended, and whatever runs on the thread next (another call, another
//! task) would sit inside it. So each coroutine takes its spans with it:
//!
//! - When it is resumed, [`Spans::resumed`] remembers which span was current then, the poller's,
//!   and re-enters the spans it had entered before it suspended, outermost first.
//! - When it suspends, [`Spans::suspending`] exits every span entered on top of the poller's,
//!   innermost first, and remembers them.
//!
//! Between the two the thread's stack is exactly what the poller had. Every way a coroutine
//! suspends goes through `Frame::suspend` (`awaitlet!`, `try_awaitlet`, `SyncIo`, `iter`, a
//! nested `AsyncDef`, which suspends its parent only through the parent's own `awaitlet!`), and
//! a cancellation resumes the coroutine through the same call, so it re-enters the spans that its
//! unwinding guards then exit: each span is exited exactly once.
//!
//! Only the subscriber knows the stack, and `tracing` shows one end of it, the current span.
//! That is enough: the spans to exit are the current one, again and again, until the current span
//! is the poller's. A subscriber that does not report the current span (`current_span` returns
//! "unknown"; `tracing-subscriber`'s `Registry` and `fmt` subscribers do report it) has nothing to
//! save. One case stays out of reach: a coroutine that enters the poller's current span itself, a
//! second time, cannot tell that entry from the poller's, and leaves it entered while suspended.
//!
//! With no subscriber, or none interested in any level, nothing can be entered: each hook is then
//! one load of `tracing`'s maximum level and one test of the saved list.

use core::cell::{Cell, RefCell};

use tracing::Dispatch;
use tracing::dispatcher;
use tracing::level_filters::LevelFilter;
use tracing::span::Id;

/// The most spans one suspension exits: far deeper than any real span stack.
const MAX_SAVED: usize = 1024;

/// The spans of one coroutine, kept in its `Frame`.
#[derive(Debug, Default)]
pub(crate) struct Spans {
    /// The span that was current when the coroutine was last resumed, and whether it was recorded
    /// at all (not when no subscriber could enter a span then).
    base: RefCell<Base>,
    /// The spans the coroutine had entered when it suspended, innermost first.
    saved: RefCell<Vec<Id>>,
    /// Whether `saved` is non-empty, read without borrowing it on the fast path.
    any_saved: Cell<bool>,
}

/// What [`Spans::resumed`] found current on the thread.
#[derive(Debug, Default)]
enum Base {
    /// Nothing recorded: no subscriber was interested in any span when the coroutine resumed, so
    /// none can have been entered below it either.
    #[default]
    Unrecorded,
    /// The poller's current span, or `None` outside every span.
    Current(Option<Id>),
}

impl Spans {
    /// On the coroutine, right after it starts or is resumed (by a poll or by a cancellation).
    #[inline]
    pub(crate) fn resumed(&self) {
        if self.any_saved.get() || LevelFilter::current() != LevelFilter::OFF {
            self.resumed_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn resumed_slow(&self) {
        dispatcher::get_default(|dispatch| {
            *self.base.borrow_mut() = Base::Current(current(dispatch));
            let mut saved = self.saved.borrow_mut();
            // Outermost first: the reverse of the order they were exited in.
            for id in saved.drain(..).rev() {
                dispatch.enter(&id);
            }
        });
        self.any_saved.set(false);
    }

    /// On the coroutine, right before it suspends.
    #[inline]
    pub(crate) fn suspending(&self) {
        if LevelFilter::current() != LevelFilter::OFF {
            self.suspending_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn suspending_slow(&self) {
        let base = self.base.borrow();
        let Base::Current(base) = &*base else {
            return;
        };
        let mut saved = self.saved.borrow_mut();
        dispatcher::get_default(|dispatch| {
            // Each exit uncovers the span entered before it; stop at the poller's. The bound only
            // matters with a subscriber whose `exit` does not change what it reports as current,
            // which would otherwise keep this loop going forever.
            while let Some(id) = current(dispatch) {
                if Some(&id) == base.as_ref() || saved.len() == MAX_SAVED {
                    break;
                }
                dispatch.exit(&id);
                saved.push(id);
            }
        });
        self.any_saved.set(!saved.is_empty());
    }
}

/// The span the subscriber says is current on this thread, if it says.
fn current(dispatch: &Dispatch) -> Option<Id> {
    dispatch.current_span().id().cloned()
}

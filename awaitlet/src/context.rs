//! The thread-local "current coroutine" slot.
//!
//! Every rule about where `awaitlet!` may suspend follows from one value per thread, [`Current`],
//! and one flag per coroutine, [`Frame`]'s "polling" state:
//!
//! - [`AsyncDef::poll`](crate::AsyncDef) saves the slot before it resumes its coroutine and
//!   restores it when the coroutine yields, returns or panics ([`Restore`]).
//! - The coroutine writes `Running(frame)` when it starts and again after every suspension, so
//!   code running on it finds its own [`Frame`].
//! - `awaitlet!` marks its frame as polling while it polls the awaited future, so an `awaitlet!`
//!   inside that `poll` refuses to suspend the coroutine half-way through a poll. The mark is in
//!   the frame, not the slot: `awaitlet!` of a ready future then writes nothing that the next
//!   `awaitlet!` must read back before it knows where its frame is (a store-to-load round trip
//!   through the thread-local that made each ready await wait for the previous one).
//! - Dropping a suspended `AsyncDef` writes `Cancelling` while it unwinds the coroutine stack;
//!   once the unwinding leaves `awaitlet!`, the slot names the frame being unwound.
//!
//! Nesting needs nothing more: an `AsyncDef` polled by an `awaitlet!` on another coroutine saves
//! that coroutine's `Running`, runs its own coroutine with its own frame, and puts it back; the
//! outer frame is still marked polling.
//!
//! A portal's frame (see `portal.rs`) is the exception to the third rule: it carries a waker of
//! its own, so a poll on its stack never needs the poller's context, and its `awaitlet!` never
//! marks the frame. An `awaitlet!` inside that poll then suspends the coroutine in the middle of
//! it.

use core::cell::Cell;
use core::ptr::NonNull;
use core::task::{Context, Waker};

use corosensei::Yielder;

use crate::portal::StableWaker;

/// The task context handed to the coroutine on each resume, with its lifetime erased.
///
/// It is only dereferenced through [`Frame::context`], whose safety argument says why the pointee
/// is alive then.
pub(crate) type ContextPtr = NonNull<Context<'static>>;

/// The yielder of an awaitlet coroutine: resumed with the poller's context, yields nothing.
pub(crate) type AwaitletYielder = Yielder<ContextPtr, ()>;

/// Erases the lifetime of the poller's context so it can cross the coroutine switch.
///
/// Casting a raw pointer between lifetimes is safe; reading through the result is not, and only
/// [`Frame::context`] does so.
pub(crate) fn erase(cx: &mut Context<'_>) -> ContextPtr {
    NonNull::from(cx).cast()
}

/// What an `awaitlet!` on this thread would find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Current {
    /// No coroutine body is running on this thread.
    Outside,
    /// The body of a coroutine is running; `awaitlet!` may suspend it through this frame, unless
    /// the frame is an `async_def`'s marked polling ([`Frame::start_poll`]).
    Running(NonNull<Frame>),
    /// A suspended coroutine is being unwound because its `AsyncDef` was dropped: `frame` is
    /// `None` until the unwinding has left the suspended `awaitlet!`, then that coroutine's frame.
    /// `in_unwind` says the drop itself ran while the thread was unwinding (a parent coroutine
    /// being cancelled drops this one), so `std::thread::panicking()` is true throughout, even
    /// after the body has caught its own cancellation with `catch_unwind`.
    Cancelling {
        frame: Option<NonNull<Frame>>,
        in_unwind: bool,
    },
}

/// The slot's value in one word, so that saving, restoring and checking it are one load or store
/// each: the frame pointer with the state in its three low bits, which are free because a `Frame`
/// is aligned to 8 bytes (see [`Frame`]).
///
/// `Running` is the bare pointer (tag 0), so the first check on `awaitlet!`'s fast path is whether
/// both tag bits are clear; `Outside` is tag 3 with no pointer. Tag 1 is not used.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Word(*const Frame);

const TAG_BITS: usize = 0b11;
const TAG_RUNNING: usize = 0;
const TAG_CANCELLING: usize = 2;
const TAG_OUTSIDE: usize = 3;
/// With `TAG_CANCELLING`: the `in_unwind` flag.
const IN_UNWIND: usize = 0b100;

const _: () = assert!(align_of::<Frame>() > (TAG_BITS | IN_UNWIND));

// [`Frame`]'s state bits.

/// Set until the first `awaitlet!`, only when the builder asks `assert_await_occurs`: a frame that
/// does not ask starts and stays at 0, the state `awaitlet!`'s fast path looks for.
const UNAWAITED: u8 = 0b001;
/// Set while an `awaitlet!` of an `async_def` polls its future.
const POLLING: u8 = 0b010;
/// Set for the whole life of a portal's frame.
const PORTAL: u8 = 0b100;

impl Word {
    const OUTSIDE: Word = Word(core::ptr::without_provenance(TAG_OUTSIDE));

    #[inline]
    fn encode(current: Current) -> Word {
        let (frame, tag) = match current {
            Current::Outside => return Word::OUTSIDE,
            Current::Running(frame) => (frame, TAG_RUNNING),
            Current::Cancelling { frame, in_unwind } => {
                let tag = TAG_CANCELLING | if in_unwind { IN_UNWIND } else { 0 };
                match frame {
                    Some(frame) => (frame, tag),
                    None => return Word(core::ptr::without_provenance(tag)),
                }
            }
        };
        // The tag bits of an aligned pointer are clear: adding sets them.
        Word(frame.as_ptr().cast_const().wrapping_byte_add(tag))
    }

    #[inline]
    fn decode(self) -> Current {
        let frame = NonNull::new(
            self.0
                .map_addr(|addr| addr & !(TAG_BITS | IN_UNWIND))
                .cast_mut(),
        );
        match (self.0.addr() & TAG_BITS, frame) {
            (TAG_RUNNING, Some(frame)) => Current::Running(frame),
            (TAG_CANCELLING, frame) => Current::Cancelling {
                frame,
                in_unwind: self.0.addr() & IN_UNWIND != 0,
            },
            // `Outside`, tag 1, and the null `Running`, none of which `encode` makes.
            _ => Current::Outside,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Word> = const { Cell::new(Word::OUTSIDE) };
}

/// Where an `awaitlet!` on this thread may suspend without further checks, if anywhere:
/// `awaitlet!`'s fast path, one load and a test or two.
#[derive(Clone, Copy)]
pub(crate) enum Suspendable {
    /// In an `async_def`'s body, not inside a poll of its.
    AsyncDef(NonNull<Frame>),
    /// Anywhere in a portal.
    Portal(NonNull<Frame>),
}

/// The frame `awaitlet!` may suspend here: the slot says `Running` and the frame is a portal's or
/// not polling. `None` sends `awaitlet!` to the slow path, which says why not.
///
/// On an `async_def`'s frame, the common case, that is one load of the slot and one test of the
/// frame's state byte, each with its branch.
#[inline(always)]
pub(crate) fn suspendable() -> Option<Suspendable> {
    let word = CURRENT.with(Cell::get);
    if word.0.addr() & TAG_BITS != TAG_RUNNING {
        return None;
    }
    // SAFETY: tag 0 is only ever stored by `Word::encode` of `Running(frame)`, with a non-null
    // frame (`Outside` is tag 3), so the word is that frame's pointer.
    let frame = unsafe { NonNull::new_unchecked(word.0.cast_mut()) };
    // SAFETY: the slot names it as `Running`, read on this thread just now.
    unsafe { suspendable_frame(frame) }
}

/// Whether `awaitlet!` may suspend `frame`'s coroutine: it is a portal's, or an `async_def`'s not
/// marked polling.
///
/// # Safety
///
/// ## Caller
///
/// `frame` is the frame the slot names as `Running`, read on this thread.
#[inline(always)]
pub(crate) unsafe fn suspendable_frame(frame: NonNull<Frame>) -> Option<Suspendable> {
    // SAFETY: the slot names a frame only while that frame's coroutine runs on this thread (see
    // the module docs for who writes it when), and our caller read it on this thread, so this
    // runs on that coroutine: the frame, a local at the base of its stack, is alive.
    let state = unsafe { frame.as_ref() }.state.get();
    if state == 0 {
        Some(Suspendable::AsyncDef(frame))
    } else if state & PORTAL != 0 {
        Some(Suspendable::Portal(frame))
    } else if state & POLLING != 0 {
        None
    } else {
        // Only `UNAWAITED`: the first `awaitlet!` of an `assert_await_occurs` frame, whose
        // `start_poll` clears it.
        Some(Suspendable::AsyncDef(frame))
    }
}

/// Reads this thread's slot.
#[inline]
pub(crate) fn current() -> Current {
    CURRENT.with(Cell::get).decode()
}

/// Writes this thread's slot.
#[inline]
pub(crate) fn set(current: Current) {
    CURRENT.with(|slot| slot.set(Word::encode(current)));
}

/// Whether code running now runs because a coroutine is being unwound by the drop of its
/// `AsyncDef` (a cancellation, not a panic): `awaitlet::sync`'s guards do not poison then.
#[cfg(feature = "sync")]
pub(crate) fn cancelling() -> bool {
    matches!(current(), Current::Cancelling { .. })
}

/// Puts a saved slot value back when dropped, on return and on unwind alike.
pub(crate) struct Restore(Word);

impl Restore {
    /// Remembers the slot as it is now.
    #[inline]
    pub(crate) fn save() -> Self {
        Restore(CURRENT.with(Cell::get))
    }

    /// Remembers the slot as it is now and writes `current` until the guard drops.
    #[inline]
    pub(crate) fn replace(current: Current) -> Self {
        Restore(CURRENT.with(|slot| slot.replace(Word::encode(current))))
    }
}

impl Drop for Restore {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|slot| slot.set(self.0));
    }
}

/// The per-coroutine state that `awaitlet!` reaches through the thread-local slot.
///
/// It lives in a local variable at the bottom of the coroutine stack (see `future.rs`), so its
/// address is stable for as long as the body runs, and the slot names it only while the body runs.
///
/// Aligned to 8 bytes on every target, so that the slot's tag bits fit below its address: its
/// fields alone make it 4-byte aligned on 32-bit targets.
#[repr(align(8))]
pub(crate) struct Frame {
    /// The coroutine's yielder; it lives at the very base of the same stack, below this frame.
    yielder: NonNull<AwaitletYielder>,
    /// The context of the poll that last resumed the coroutine.
    cx: Cell<ContextPtr>,
    /// [`UNAWAITED`] until `awaitlet!` is called (for `assert_await_occurs`), [`POLLING`] while an
    /// `awaitlet!` of an `async_def` polls its future, [`PORTAL`] for a portal's frame. One byte,
    /// so that `awaitlet!` finds the common case, 0, with one test; when the compiler sees a whole
    /// poll that makes no call, it drops the first of the two stores around it.
    state: Cell<u8>,
    /// Where the coroutine stack is, for the stack-overflow report.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        allow(dead_code, reason = "only the Linux overflow report reads it")
    )]
    stack: StackBounds,
    /// The tracing spans entered on this coroutine, exited while it is suspended.
    #[cfg(feature = "tracing")]
    spans: crate::spans::Spans,
    /// A portal's stable waker, which every poll on this coroutine uses in place of the poller's
    /// context; `None` for an `async_def`.
    portal: Option<StableWaker>,
}

/// The address range of a coroutine stack, guard page included, and the `stack_size` asked for.
#[cfg_attr(
    not(any(target_os = "linux", target_os = "android")),
    allow(dead_code, reason = "only the Linux overflow report reads it")
)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct StackBounds {
    /// The lowest address: the start of the guard page.
    pub(crate) limit: usize,
    /// One past the highest address.
    pub(crate) base: usize,
    /// The `stack_size` the stack was made for.
    pub(crate) size: usize,
}

impl StackBounds {
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        allow(dead_code, reason = "only the Linux overflow report reads it")
    )]
    pub(crate) fn contains(&self, address: usize) -> bool {
        (self.limit..self.base).contains(&address)
    }
}

impl Frame {
    /// A frame for a coroutine; `portal` is a portal's stable waker (see `portal.rs`), and
    /// `count_awaits` says whether [`Frame::awaited`] will be asked.
    pub(crate) fn new(
        yielder: &AwaitletYielder,
        cx: ContextPtr,
        stack: StackBounds,
        portal: Option<StableWaker>,
        count_awaits: bool,
    ) -> Self {
        Frame {
            yielder: NonNull::from(yielder),
            cx: Cell::new(cx),
            state: Cell::new(
                if portal.is_some() { PORTAL } else { 0 }
                    | if count_awaits { UNAWAITED } else { 0 },
            ),
            stack,
            portal,
            #[cfg(feature = "tracing")]
            spans: crate::spans::Spans::default(),
        }
    }

    /// A portal's stable waker, or `None` when this is an `async_def`'s frame.
    #[inline(always)]
    pub(crate) fn portal_waker(&self) -> Option<&Waker> {
        self.portal.as_deref()
    }

    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        allow(dead_code, reason = "only the Linux overflow report reads it")
    )]
    pub(crate) fn stack(&self) -> StackBounds {
        self.stack
    }

    /// Called on the coroutine, first thing: makes this frame the one `awaitlet!` finds.
    pub(crate) fn start(&self) {
        self.enter();
        self.resumed();
    }

    /// Makes this frame the one `awaitlet!` finds: at the start, and after each suspension.
    #[inline]
    pub(crate) fn enter(&self) {
        set(Current::Running(NonNull::from(self)));
    }

    /// Called on the coroutine whenever it starts running again: at its start, after a
    /// suspension, and when a cancellation resumes it to unwind.
    #[inline]
    fn resumed(&self) {
        #[cfg(feature = "tracing")]
        self.spans.resumed();
    }

    /// Records that `awaitlet!` was called, for a portal's `awaitlet!`, which never marks the
    /// frame polling.
    #[inline(always)]
    pub(crate) fn note_await(&self) {
        self.state.set(self.state.get() & !UNAWAITED);
    }

    /// Whether `awaitlet!` was called at least once; only known when the frame was made with
    /// `count_awaits`.
    pub(crate) fn awaited(&self) -> bool {
        self.state.get() & UNAWAITED == 0
    }

    /// Marks this frame polling (and no longer unawaited) until the guard drops, also by
    /// unwinding out of a `poll` that panicked into the body, which may catch it and await again.
    /// Only for an `async_def`'s frame: the stores leave out [`PORTAL`] (and clear [`UNAWAITED`]).
    #[inline(always)]
    pub(crate) fn start_poll(&self) -> PollMark<'_> {
        self.state.set(POLLING);
        PollMark(self)
    }

    /// The context of the poll that is running this coroutine right now.
    ///
    /// # Safety
    ///
    /// ## Caller
    ///
    /// Must be called on this frame's coroutine while it runs (not across a [`Frame::suspend`]),
    /// and the returned reference must be dead before the next call to `context` or `suspend`.
    #[inline]
    #[allow(
        clippy::mut_from_ref,
        reason = "the `&mut` comes from the poller, through the pointer; `# Safety` keeps it unique"
    )]
    pub(crate) unsafe fn context(&self) -> &mut Context<'_> {
        // The `AsyncDef::poll` that resumed this coroutine stored `cx` from its own `&mut Context`
        // and waits inside `Coroutine::resume` until the coroutine suspends or returns. The stored
        // `'static` never escapes: the result is tied to `&self`, and used for one poll at most.
        // SAFETY: the pointee is alive and used by nobody else while that poll waits, which is
        // the window the caller keeps to; one reference at a time keeps it unique.
        unsafe { self.cx.get().cast::<Context<'_>>().as_mut() }
    }

    /// Suspends the coroutine until its `AsyncDef` is polled again.
    ///
    /// On return the slot still holds what the resuming poll found there: [`Frame::wait`] writes
    /// it before any other code runs.
    ///
    /// If the `AsyncDef` is dropped instead, this unwinds (corosensei's forced unwind), running
    /// every destructor on the coroutine stack, with the slot saying `Cancelling` this frame.
    #[inline]
    pub(crate) fn suspend(&self) {
        // SAFETY: the yielder lives at the base of this coroutine's stack for as long as the
        // coroutine exists; this frame lives above it on the same stack and is only reachable
        // while the coroutine runs, so the yielder outlives every use of `self`.
        let yielder = unsafe { self.yielder.as_ref() };
        #[cfg(feature = "tracing")]
        self.spans.suspending();
        let cancelled = Cancelled(NonNull::from(self));
        let cx = yielder.suspend(());
        // Resumed by a poll, not unwound by a drop.
        core::mem::forget(cancelled);
        self.resumed();
        self.cx.set(cx);
    }

    /// Suspends the coroutine from an `awaitlet!` whose future is pending, until its `AsyncDef` is
    /// polled again, and makes this frame the one `awaitlet!` finds once more.
    #[inline(always)]
    pub(crate) fn wait(&self) {
        self.suspend();
        self.enter();
    }
}

/// See [`Frame::start_poll`].
pub(crate) struct PollMark<'a>(&'a Frame);

impl Drop for PollMark<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // A constant, not the state read before the poll: putting back the value read would
        // make each await's load of the state wait for the previous await's store of it (a
        // chain through memory, about five cycles an await where the poll keeps both stores, as
        // `awaitlet::iter` over a ready stream does: 1.5 to 3.3 ns an item when tried).
        self.0.state.set(0);
    }
}

/// Dropped only when a suspended coroutine is unwound by the drop of its `AsyncDef`: names the
/// frame in the `Cancelling` slot that drop wrote.
struct Cancelled(NonNull<Frame>);

impl Drop for Cancelled {
    fn drop(&mut self) {
        let in_unwind = matches!(
            current(),
            Current::Cancelling {
                in_unwind: true,
                ..
            }
        );
        set(Current::Cancelling {
            frame: Some(self.0),
            in_unwind,
        });
        // SAFETY: this guard lives in `Frame::suspend`'s own frame, on the coroutine of the frame
        // it names, and is dropped as the unwinding leaves that call: the `Frame`, a local at the
        // base of the same stack, is alive until the unwinding reaches it, long after this.
        unsafe { self.0.as_ref() }.resumed();
    }
}

impl Drop for Frame {
    /// The frame is the last thing to die on the coroutine stack; from here on nothing can reach it.
    fn drop(&mut self) {
        set(Current::Outside);
    }
}

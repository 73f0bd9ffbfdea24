//! Portals: a future polled on a coroutine stack, where `awaitlet!` may suspend in the middle of
//! any poll.
//!
//! An `async_def` polls each awaited future with the poller's `Context`, which dies when the
//! poller's `poll` returns; so it must not suspend while a poll is under way, and `awaitlet!`
//! refuses there. A portal's coroutine instead polls with a `Context` of its own, built on its
//! stack from a waker that never changes (a handle on a [`WakerCell`]), so every `Context` on that
//! stack stays valid across any number of suspensions. The frame (`context.rs`) carries that
//! waker, and an `awaitlet!` on the portal's stack ([`await_in_portal`]) polls with it and keeps
//! the slot at `Running`: a nested `awaitlet!`, however deep inside some `poll`, suspends the
//! coroutine with every frame of that poll intact.
//!
//! The stable waker wakes the task that polled the portal last, wherever the portal has moved
//! since it was made: while the portal's `AsyncDef` is being polled, the waker of that poll; in
//! between, the waker of the last poll that returned `Pending`, which the cell keeps.
//!
//! What a portal costs beyond an `async_def` is kept to loads and stores on its own thread: the
//! cell comes from a per-thread pool, the stable waker's clones and drops on that thread are
//! counted without atomic operations, the poller's waker is cloned only when a poll returns
//! `Pending` with a waker other than the last one, and a wake on the portal's thread calls the
//! poller's waker directly. Wakes from other threads take a lock.

use core::cell::{Cell, UnsafeCell};
use core::future::Future;
use core::mem::ManuallyDrop;
use core::pin::pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Mutex, PoisonError};

use crate::context::{ContextPtr, Frame};
use crate::stack::POOL_CAPACITY;

/// What a portal's stable waker points to: who to wake, and how many wakers point to it.
///
/// A portal is `!Send`, so it is made, polled and dropped on one thread, its owner, and most
/// wakes come from that thread too (a current-thread runtime, a `LocalSet`, a future that wakes
/// itself). Those touch the fields marked "owner only", with plain loads and stores. Wakes, clones
/// and drops on other threads (an I/O driver, a channel sender) take the paths for other threads:
/// `refs` and `remote`.
///
/// # Lifetime
///
/// The cell is on the heap, at a fixed address, and the stable waker and its clones point to it.
/// The portal ([`PortalCell`]) holds it until the portal finishes or is dropped, then looks at
/// the count of clones still alive: with none, nothing can reach the cell again, and it goes back
/// to this thread's pool ([`POOL`]) for the next portal; with some (a future kept a clone), the
/// portal gives the cell up ("orphans" it): from then on every clone and drop counts in `refs`,
/// and the last drop frees the cell.
///
/// # Threads
///
/// Nothing in the type system keeps the owner-only fields to one thread: the stable waker is
/// `Send` and `Sync` like every waker, whatever it points to. The portal's own code (its poll,
/// its drop) runs on its thread because the portal is `!Send`; the waker's code checks
/// [`WakerCell::on_owner`] at run time, which is never true on another thread (see
/// [`PortalCell`]). Every `unsafe` block that touches those fields argues from one or the other.
/// Where thread-locals are gone when the portal is made, the cell has no owner at all: the
/// waker's code then always takes the other threads' paths, and only the portal's own code
/// touches the owner-only fields.
#[derive(Debug)]
pub(crate) struct WakerCell {
    /// The owner thread's [`mark`], or [`NO_OWNER`] once the portal has given the cell up (or
    /// when it was made where thread-locals are gone). Written only by the owner thread, so the
    /// owner always reads its own last write; other threads compare it with their own mark, which
    /// no value they may read can equal.
    owner: AtomicUsize,
    /// The owner thread's share of the count of wakers alive (the clones of the stable one, which
    /// itself is not counted: see [`StableWaker`]): clones made on the owner add one, drops there
    /// take one away. Wrapping, since clones made on one side are often dropped on the other;
    /// only the sum with `refs` means anything. Owner only.
    owner_refs: Cell<u64>,
    /// The other threads' share of that count, as [`REF`] per waker (wrapping, like
    /// `owner_refs`), with [`ORPHANED`] set once the portal gave the cell up and moved its own
    /// share here. 64 bits everywhere: a wrapped count could only mislead after 2^63 clones leaked
    /// with `mem::forget`, centuries of work.
    refs: AtomicU64,
    /// The context of the poll of the portal's `AsyncDef` under way, if any: a wake on the owner
    /// thread during that poll goes to its waker. Owner only.
    poller: Cell<Option<ContextPtr>>,
    /// Set while a wake on the owner thread calls the waker in `stored`, which must not be
    /// replaced meanwhile. Owner only.
    waking: Cell<bool>,
    /// The waker of the last poll that returned `Pending`, for wakes between polls. Written only
    /// on the owner thread, holding `remote`; read there without it (no other thread writes),
    /// and holding it on other threads.
    stored: UnsafeCell<Option<Waker>>,
    /// Guards `stored` for other threads, and says whether a wake came from another thread
    /// since `stored` was last written: that wake may have gone to the waker being replaced, or
    /// found none, so the new one is woken too.
    remote: Mutex<bool>,
    /// The next cell in this thread's pool. Owner only.
    next: Cell<Option<NonNull<WakerCell>>>,
}

/// One waker in [`WakerCell::refs`]; bit 0 is [`ORPHANED`].
const REF: u64 = 2;
/// In [`WakerCell::refs`]: the portal has given the cell up; the last waker dropped frees it.
const ORPHANED: u64 = 1;
/// In [`WakerCell::owner`]: no thread takes the owner's paths.
const NO_OWNER: usize = usize::MAX;

/// A number for the current thread, distinct from that of every other live thread: the address
/// of a thread-local of its own. 0 where thread-locals cannot be reached.
///
/// A thread that has ended may have had the same number as a later one, whose thread-locals now
/// occupy the same memory: see [`PortalCell`] for why that is sound.
#[inline(always)]
fn mark() -> usize {
    thread_local! {
        // Constant and without a destructor: reading its address is a single instruction on
        // targets with native thread-locals, never a lazy initialisation.
        static MARK: u8 = const { 0 };
    }
    MARK.try_with(|mark| core::ptr::from_ref(mark).addr())
        .unwrap_or(0)
}

impl WakerCell {
    /// Whether this is the owner thread. Never once the portal gave the cell up.
    #[inline(always)]
    fn on_owner(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == mark()
    }

    /// Counts one more waker.
    #[inline]
    fn acquire(&self) {
        if self.on_owner() {
            self.owner_refs.set(self.owner_refs.get().wrapping_add(1));
        } else {
            // As `Arc::clone`: a new waker is made from one that is alive, which keeps the cell.
            self.refs.fetch_add(REF, Ordering::Relaxed);
        }
    }

    /// Counts one waker less; returns whether it was the last of an orphaned cell, which the
    /// caller must then free.
    #[inline]
    fn release(&self) -> bool {
        if self.on_owner() {
            // Not orphaned (the owner then is `NO_OWNER`): the portal still holds the cell.
            self.owner_refs.set(self.owner_refs.get().wrapping_sub(1));
            return false;
        }
        // As `Arc`'s drop: what this thread did with the cell happens before the free.
        if self.refs.fetch_sub(REF, Ordering::Release) == ORPHANED | REF {
            fence(Ordering::Acquire);
            return true;
        }
        false
    }

    /// Wakes the task that polled the portal last (`wake_by_ref` of the stable waker).
    #[inline]
    fn wake(&self) {
        if !self.on_owner() {
            return self.wake_remote();
        }
        if let Some(cx) = self.poller.get() {
            // On the owner thread (only it writes `poller`), during the poll that stored `cx`
            // (`Polling` clears it when that poll ends, also by a panic).
            // SAFETY: so `cx` is that poll's `&mut Context`, alive until then, and the portal's
            // coroutine never makes a `&mut` of it (only an `async_def`'s frame does): a shared
            // borrow is sound.
            let waker = unsafe { cx.as_ref() }.waker();
            waker.wake_by_ref();
            return;
        }
        if self.waking.replace(true) {
            // A wake through `stored` is already under way on this thread: it wakes the task.
            return;
        }
        let _clear = ClearOnDrop(&self.waking);
        // SAFETY: on the owner thread, the only one that writes `stored`; `waking` now keeps
        // `Polling::pending` from replacing it while this reference lives.
        if let Some(waker) = unsafe { &*self.stored.get() } {
            waker.wake_by_ref();
        }
    }

    /// A wake from another thread, or of a cell the portal gave up.
    #[cold]
    fn wake_remote(&self) {
        // Cloned under the lock, woken outside it.
        let waker = {
            let mut woke = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            *woke = true;
            // SAFETY: `stored` is written only with `remote` held, which it is.
            unsafe { &*self.stored.get() }.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Called on the owner thread when a poll returned `Pending`: keeps its waker for wakes
    /// until the next poll. Nothing but a comparison when it is the same task as last time.
    #[inline]
    fn pending(&self, waker: &Waker) {
        // SAFETY: on the portal's thread (it is `!Send`), the only one that writes `stored`;
        // `will_wake` compares pointers and runs no code.
        let same = unsafe { &*self.stored.get() }
            .as_ref()
            .is_some_and(|stored| stored.will_wake(waker));
        if !same {
            self.store(waker);
        }
    }

    #[cold]
    fn store(&self, waker: &Waker) {
        if self.waking.get() {
            // Polled from a wake through `stored` (an executor that polls inside `wake`), which
            // must not be replaced now. Wake the new poller instead: it polls again, and stores
            // its waker then.
            waker.wake_by_ref();
            return;
        }
        // Cloning runs the waker's own code, before any reference to `stored` exists.
        let new = waker.clone();
        let (old, woke) = {
            let mut woke = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            // SAFETY: on the portal's thread (it is `!Send`) with `remote` held, so no other
            // thread reads `stored` and this one holds no reference to it (`waking` is clear);
            // moving values in and out runs no code.
            let old = unsafe { (*self.stored.get()).replace(new) };
            (old, core::mem::take(&mut *woke))
        };
        if woke {
            // A wake from another thread since the last store may have gone to `old`, or found
            // no waker at all (before the first suspension): deliver it here.
            waker.wake_by_ref();
        }
        // Dropped last: a waker's drop may run code that wakes this cell.
        drop(old);
    }
}

/// The stable waker's functions; its data pointer is a live [`WakerCell`].
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
///
/// ## Caller
///
/// `cell` is the data pointer of a live waker made with [`VTABLE`].
unsafe fn clone(cell: *const ()) -> RawWaker {
    // SAFETY: a live waker is the stable one, whose cell its portal holds, or a clone, which is
    // counted: either way the cell is alive.
    unsafe { &*cell.cast::<WakerCell>() }.acquire();
    RawWaker::new(cell, &VTABLE)
}

/// # Safety
///
/// ## Caller
///
/// As for [`clone`]; the waker is consumed.
unsafe fn wake(cell: *const ()) {
    // SAFETY: passed on from our caller.
    unsafe {
        wake_by_ref(cell);
        drop_waker(cell);
    }
}

/// # Safety
///
/// ## Caller
///
/// As for [`clone`].
unsafe fn wake_by_ref(cell: *const ()) {
    // SAFETY: as in `clone`, the cell is alive.
    unsafe { &*cell.cast::<WakerCell>() }.wake();
}

/// # Safety
///
/// ## Caller
///
/// As for [`clone`]; the waker is consumed. It is a clone: the stable waker is never dropped
/// ([`StableWaker`]), and only borrowed by everything else.
unsafe fn drop_waker(cell: *const ()) {
    let cell = cell.cast::<WakerCell>().cast_mut();
    // SAFETY: the clone being dropped still counts, so the cell is alive.
    if unsafe { &*cell }.release() {
        // The last waker of an orphaned cell: nothing else refers to it. The fence in `release`
        // orders every other thread's use of it before this, and nothing in it belongs to a
        // thread (a `Waker` is `Send`), so it may be freed on any.
        // SAFETY: so it is unshared, and it was leaked from a box (`allocate`).
        drop(unsafe { Box::from_raw(cell) });
    }
}

/// The portal's stable waker as its frame (`context.rs`) holds it: not counted among the cell's
/// wakers, and never dropped, since it never outlives the cell. It lives in the portal's
/// coroutine (its entry closure, then its frame), which its `AsyncDef` drops, or finishes, before
/// its [`PortalCell`]; every `Context` made from it borrows it, so none outlives it; and its
/// clones, which may, are counted. A coroutine leaked with its stack (`mem::forget`, or a drop
/// under `panic = "abort"`) keeps a stable waker that nothing can reach again.
pub(crate) type StableWaker = ManuallyDrop<Waker>;

/// A portal's hold on its [`WakerCell`]: made with the portal, dropped when it finishes or is
/// dropped, after its coroutine (and the stable waker the frame holds) is gone.
///
/// # Soundness of the owner's paths
///
/// Only the owner thread touches the owner-only fields. That thread is the one whose [`mark`]
/// the cell holds: no other live thread has that mark. A portal, `!Send`, is polled only there.
/// A thread that ended may leave a cell behind that still names it (a portal leaked with
/// `mem::forget`, whose stable waker lives on in its leaked stack, with clones elsewhere); a
/// later thread whose thread-locals reuse the same memory then takes the owner's paths for it.
/// That is sound: the ended thread touches nothing any more, the C library reuses its memory
/// only after the thread is gone and under its own locks, so what it did happens before anything
/// the new thread does, and the new thread alone now takes the owner's paths. No poll or wake of
/// the ended thread was under way when it ended (`Polling` and `ClearOnDrop` reset `poller` and
/// `waking` on every way out), and the leaked portal can never be polled again.
#[derive(Debug)]
pub(crate) struct PortalCell(NonNull<WakerCell>);

// `AsyncDef` holds a `PortalCell`, and is `!Send` and `!Sync` through its marker, whose name
// rustc's error should give alone (`CoroutineStackStaysOnItsThread`), not also this field's
// `NonNull`. The cell's owner-only fields need the portal on its thread, which the marker
// ensures: this type is crate-private and held only by `AsyncDef`.
// SAFETY: so a `PortalCell` never moves to, nor is shared with, another thread; and what the
// cell offers other threads (its `refs`, its `remote` lock) is thread-safe in any case.
unsafe impl Send for PortalCell {}
// SAFETY: as for `Send`.
unsafe impl Sync for PortalCell {}

// A panic leaves the cell as consistent as it was: `Polling` and `ClearOnDrop` put `poller` and
// `waking` back on the way out, and every other change is one step. So a portal whose poll
// panicked may be observed, and dropped, after `catch_unwind`, as `AsyncDef`'s docs promise.
impl UnwindSafe for PortalCell {}
impl RefUnwindSafe for PortalCell {}

impl PortalCell {
    /// A cell for a new portal on this thread, from the pool when it has one, and the portal's
    /// stable waker, which points to it.
    #[inline]
    pub(crate) fn new() -> (Self, StableWaker) {
        let cell = POOL
            .try_with(Pool::take)
            .ok()
            .flatten()
            .unwrap_or_else(allocate);
        // The data pointer is a live `WakerCell`, fresh from the pool or the allocator, which the
        // returned `PortalCell` keeps alive as long as the portal's coroutine lives (see
        // `StableWaker` for why the waker is not counted).
        // SAFETY: so the pointer is valid for every use of the waker, and `VTABLE`'s functions
        // are thread-safe as `RawWaker` requires: owner-only fields are touched only on the
        // owner thread (`on_owner`), the rest is atomic or under `remote`.
        let waker = unsafe { Waker::new(cell.as_ptr().cast_const().cast(), &VTABLE) };
        (PortalCell(cell), ManuallyDrop::new(waker))
    }

    /// Called by each poll of the portal before it resumes the coroutine with `cx`: until the
    /// returned guard is dropped, a wake on this thread goes to `cx`'s waker.
    #[inline]
    pub(crate) fn polling(&self, cx: ContextPtr) -> Polling<'_> {
        // SAFETY: the portal holds its cell, so it is alive for the borrow of `self`.
        let cell = unsafe { self.0.as_ref() };
        let previous = cell.poller.replace(Some(cx));
        Polling { cell, previous }
    }
}

/// A cell nobody has used before.
#[cold]
fn allocate() -> NonNull<WakerCell> {
    let owner = match mark() {
        0 => NO_OWNER,
        mark => mark,
    };
    let cell = Box::new(WakerCell {
        owner: AtomicUsize::new(owner),
        owner_refs: Cell::new(0),
        refs: AtomicU64::new(0),
        poller: Cell::new(None),
        waking: Cell::new(false),
        stored: UnsafeCell::new(None),
        remote: Mutex::new(false),
        next: Cell::new(None),
    });
    NonNull::from(Box::leak(cell))
}

impl Drop for PortalCell {
    /// Back to the pool, when no waker points to the cell any more; otherwise given up, to be
    /// freed by the last waker.
    #[inline]
    fn drop(&mut self) {
        let cell_ptr = self.0;
        // SAFETY: the portal holds its cell until here.
        let cell = unsafe { cell_ptr.as_ref() };
        // The portal's poll is over (`Polling` cleared this), and its coroutine gone.
        debug_assert!(cell.poller.get().is_none());
        // Only the portal's thread, which this is (it is `!Send`), writes `owner_refs`; clones
        // and drops of other threads are in `refs`, whose decrements this acquires.
        let owner_refs = cell.owner_refs.get().wrapping_mul(REF);
        if owner_refs.wrapping_add(cell.refs.load(Ordering::Acquire)) == 0 {
            // No waker is left, and none can be made: the stable waker and the `Context`s
            // built from it are gone with the coroutine.
            // SAFETY: so the cell is this thread's alone.
            reset(unsafe { &mut *cell_ptr.as_ptr() });
            let pooled = POOL.try_with(|pool| pool.give(cell_ptr));
            if let Ok(Ok(())) = pooled {
                return;
            }
            // SAFETY: unshared, as just said, and leaked from a box (`allocate`).
            drop(unsafe { Box::from_raw(cell_ptr.as_ptr()) });
            return;
        }
        // Some waker lives on. From now on this thread takes the other threads' paths, so that
        // all counting happens in `refs`, where the last drop finds it.
        cell.owner.store(NO_OWNER, Ordering::Relaxed);
        let share = owner_refs | ORPHANED;
        let now = cell
            .refs
            .fetch_add(share, Ordering::AcqRel)
            .wrapping_add(share);
        if now == ORPHANED {
            // The other wakers were all dropped meanwhile.
            // SAFETY: no waker is left and the portal lets go: nothing else refers to the cell,
            // which was leaked from a box (`allocate`).
            drop(unsafe { Box::from_raw(cell_ptr.as_ptr()) });
        }
    }
}

/// Forgets the last portal's wakers, so that the cell can serve the next portal.
#[inline]
fn reset(cell: &mut WakerCell) {
    *cell.owner_refs.get_mut() = 0;
    *cell.refs.get_mut() = 0;
    *cell
        .remote
        .get_mut()
        .unwrap_or_else(PoisonError::into_inner) = false;
    cell.stored.get_mut().take();
}

/// A poll of the portal under way (see [`PortalCell::polling`]).
#[derive(Debug)]
pub(crate) struct Polling<'a> {
    cell: &'a WakerCell,
    previous: Option<ContextPtr>,
}

impl Polling<'_> {
    /// The poll suspended the portal and is about to return `Pending`: wakes from now until the
    /// next poll go to `waker`, the waker of this poll.
    #[inline]
    pub(crate) fn pending(self, waker: &Waker) {
        self.cell.pending(waker);
    }
}

impl Drop for Polling<'_> {
    /// Also when the poll panics: the poller's context dies with it.
    #[inline]
    fn drop(&mut self) {
        self.cell.poller.set(self.previous);
    }
}

/// Clears a flag when dropped, also when the code between panics.
struct ClearOnDrop<'a>(&'a Cell<bool>);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Each thread's finished cells, ready for the next portal: a list linked through
/// [`WakerCell::next`].
#[derive(Debug)]
struct Pool {
    head: Cell<Option<NonNull<WakerCell>>>,
    len: Cell<usize>,
}

thread_local! {
    /// As many cells as the stack pool keeps stacks: a thread that can start a portal without
    /// mapping a stack can start it without an allocation too.
    static POOL: Pool = const {
        Pool {
            head: Cell::new(None),
            len: Cell::new(0),
        }
    };
}

impl Pool {
    #[inline]
    fn take(&self) -> Option<NonNull<WakerCell>> {
        let cell = self.head.get()?;
        // SAFETY: the pool's cells are alive and this thread's alone.
        self.head.set(unsafe { cell.as_ref() }.next.take());
        self.len.set(self.len.get() - 1);
        Some(cell)
    }

    /// Keeps `cell`, unshared and reset, or hands it back when the pool is full.
    #[inline]
    fn give(&self, cell: NonNull<WakerCell>) -> Result<(), NonNull<WakerCell>> {
        if self.len.get() == POOL_CAPACITY {
            return Err(cell);
        }
        // SAFETY: our caller hands over an unshared cell.
        unsafe { cell.as_ref() }.next.set(self.head.get());
        self.head.set(Some(cell));
        self.len.set(self.len.get() + 1);
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        while let Some(cell) = self.take() {
            // SAFETY: pooled cells are unshared, and leaked from boxes (`allocate`).
            drop(unsafe { Box::from_raw(cell.as_ptr()) });
        }
    }
}

/// Polls `future` to completion on the portal coroutine that owns `frame`, with a `Context` made
/// from the portal's stable `waker`, suspending the coroutine while it is pending.
///
/// It is the portal's own loop (the body of every portal) and the loop of every `awaitlet!` on
/// its stack. The slot stays `Running` throughout, so an `awaitlet!` inside `poll` suspends too.
// Inlined for the reason `suspend::awaitlet` is: a resumed coroutine goes on in its caller's frame.
#[inline(always)]
pub(crate) fn await_in_portal<Fut: Future>(
    frame: &Frame,
    waker: &Waker,
    future: Fut,
) -> Fut::Output {
    let mut future = pin!(future);
    // Lives on the coroutine stack as long as the future is polled, across suspensions: its
    // waker is the portal's, valid whoever polls the portal next.
    let mut cx = Context::from_waker(waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => {
                frame.suspend();
                // The resuming poll left its own value in the slot (see `Frame::suspend`).
                frame.enter();
            }
        }
    }
}

/// What runs on a portal's coroutine: the future, polled to completion.
pub(crate) fn run<Fut: Future>(frame: &Frame, future: Fut) -> Fut::Output {
    let waker = frame
        .portal_waker()
        .expect("a portal's frame carries the portal's waker");
    await_in_portal(frame, waker, future)
}

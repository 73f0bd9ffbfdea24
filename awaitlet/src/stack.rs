//! Coroutine stacks: where they come from and where they go.
//!
//! On Unix every stack is a slot of a slab (see `slab.rs`): a large reserved mapping cut into
//! stacks, each with a guard page below its usable part, so running off the end faults instead of
//! corrupting memory. Pages are committed lazily by the kernel, so a large `stack_size` costs
//! address space, not memory, until the code actually goes that deep. With Linux 6.13's
//! `MADV_GUARD_INSTALL` a whole slab of stacks is one kernel mapping; elsewhere each guard page is
//! an `mprotect`, two mappings per stack. Before a slab is mapped, `limits.rs` checks that the
//! process keeps headroom below its limits (`vm.max_map_count`, `RLIMIT_AS`, `RLIMIT_DATA`), so
//! that a process with as many coroutines as it can hold still starts threads and allocates; past
//! that, making a stack is an error that names the limit. Other systems use corosensei's
//! `DefaultStack`, one mapping and a guard page per stack.
//!
//! This module is the one seam between the coroutine driver and stack memory: [`allocate`] hands
//! out a stack, [`recycle`] takes back a stack whose coroutine has *finished* (returned, panicked
//! to its end, or been fully unwound). A stack is never recycled after `force_reset`, and a leaked
//! `AsyncDef` never gets here at all, so its stack stays reserved for as long as the process
//! lives: anything pinned on it stays valid, as `Pin` requires.
//!
//! # The per-thread pool
//!
//! A fresh stack costs a guard page (one system call, the first time its slot is used) and page
//! faults on first touch, a few microseconds; a stack given back to its slab costs an `madvise`.
//! So finished stacks go into a per-thread pool, and the next `async_def` of the same
//! `stack_size` on that thread takes one from there. Different sizes never share.
//!
//! The pool has two tiers, because two costs pull against each other:
//!
//! - The first [`HOT_CAPACITY`] (16) stacks are kept exactly as they are, dirty pages and all: a
//!   steady stream of round trips reuses them with no system call and no heap allocation, about
//!   35 ns for the whole create–run–finish. Giving their pages back with `madvise` would add a
//!   system call and page faults on reuse, 1–2 µs, thirty times the round trip.
//! - More, up to [`POOL_CAPACITY`] (1,024) in all, are kept for bursts of concurrent coroutines (a
//!   server with a thousand connections), but as each of them comes in, everything below its top
//!   [`KEEP_RESIDENT`] bytes goes back to the kernel (`MADV_DONTNEED`): one system call, still
//!   cheaper than handing the stack back and faulting it in again. In the echo benchmark at 1,000
//!   clients this took the `#[async_def]` client from 0.84× to parity with native async.
//!
//! So what the pool holds in memory is bounded: at most `HOT_CAPACITY × stack_size` for the hot
//! tier (16 MiB at the default size, and only if those coroutines really went that deep; ordinary
//! sync code touches 8–40 KiB), plus `KEEP_RESIDENT` (16 KiB) for each of the others, 16 MiB when
//! all 1,008 are there. A stack the pool does not keep goes back to its slab with all its memory
//! released, as do the pool's stacks when the thread exits. Where address space is short (32-bit
//! targets), or `madvise` is missing (not Unix), only the hot tier exists.

use std::cell::{Cell, RefCell};
use std::io;

#[cfg(unix)]
mod limits;
#[cfg(unix)]
pub(crate) use self::limits::override_max_map_count;
#[cfg(unix)]
pub(crate) mod slab;

/// The stack type every awaitlet coroutine runs on.
#[cfg(unix)]
pub(crate) use self::slab::Stack;
#[cfg(not(unix))]
pub(crate) type Stack = corosensei::stack::DefaultStack;

/// Usable bytes per coroutine stack unless [`Builder::stack_size`](crate::Builder::stack_size)
/// says otherwise: 1 MiB, corosensei's default, comfortable for ordinary sync code.
pub const DEFAULT_STACK_SIZE: usize = 1024 * 1024;

/// The largest `stack_size` accepted, 1 TiB (1 GiB on 32-bit targets, a quarter of all their
/// address space); more is certainly a mistake and would overflow the page-rounding arithmetic
/// further down.
#[cfg(target_pointer_width = "64")]
const MAX_STACK_SIZE: (usize, &str) = (1 << 40, "1 TiB");
#[cfg(not(target_pointer_width = "64"))]
const MAX_STACK_SIZE: (usize, &str) = (1 << 30, "1 GiB");

/// How many finished stacks a thread keeps as they are, dirty pages and all.
pub(crate) const HOT_CAPACITY: usize = 16;

/// How many finished stacks a thread keeps in all; those past [`HOT_CAPACITY`] keep only their
/// top [`KEEP_RESIDENT`] bytes in memory.
/// (A thousand 1 MiB stacks are a gigabyte of address space: plenty on 64-bit targets, too much
/// on 32-bit ones, which keep the hot tier only.)
pub(crate) const POOL_CAPACITY: usize = if cfg!(all(unix, target_pointer_width = "64")) {
    1024
} else {
    HOT_CAPACITY
};

/// Bytes at the top of a stack that stay resident when it joins the pool past the hot tier:
/// where ordinary sync code runs, so the common case takes no page fault on reuse.
#[cfg(unix)]
const KEEP_RESIDENT: usize = 16 * 1024;

/// A finished stack, with the `stack_size` it was mapped for.
struct Pooled {
    size: usize,
    stack: Stack,
}

/// This thread's finished stacks: the most recent one in a slot of its own, which is all a
/// sequence of `async_def` round trips ever touches, and the others in a bounded list.
struct Pool {
    last: Cell<Option<Pooled>>,
    others: RefCell<Vec<Pooled>>,
}

thread_local! {
    static POOL: Pool = const {
        Pool {
            last: Cell::new(None),
            others: RefCell::new(Vec::new()),
        }
    };
}

/// A stack with at least `size` usable bytes below a guard page: from this thread's pool when it
/// has one of that size, else newly mapped.
///
/// Fails with the OS error when the kernel refuses the mapping (out of address space, or the
/// `vm.max_map_count` limit), and with `InvalidInput` for an absurd size.
#[inline]
pub(crate) fn allocate(size: usize) -> io::Result<Stack> {
    // `try_with`: during thread teardown the pool may be gone already; then map a new stack.
    // The `last` slot is all a sequence of round trips touches: inlined into the caller, with the
    // rest out of line.
    let pooled = POOL.try_with(|pool| match pool.last.take() {
        Some(last) if last.size == size => Some(last.stack),
        last => {
            pool.last.set(last);
            from_others(pool, size)
        }
    });
    match pooled {
        Ok(Some(stack)) => Ok(stack),
        _ => map(size),
    }
}

/// A pooled stack of `size` other than the last one, if there is one.
#[inline(never)]
fn from_others(pool: &Pool, size: usize) -> Option<Stack> {
    let mut others = pool.others.borrow_mut();
    let index = others.iter().rposition(|pooled| pooled.size == size)?;
    Some(others.swap_remove(index).stack)
}

/// Takes back the stack of a finished coroutine, for reuse on this thread.
///
/// The caller guarantees that the coroutine that ran on `stack` has returned or been fully
/// unwound: no frame on it is live, and nothing refers into it any more. A full pool, or one
/// already torn down at thread exit, unmaps the stack instead.
#[inline]
pub(crate) fn recycle(size: usize, stack: Stack) {
    let _ = POOL.try_with(|pool| {
        if let Some(older) = pool.last.replace(Some(Pooled { size, stack })) {
            to_others(pool, older);
        }
    });
}

/// Keeps `older`, the stack that was in the `last` slot, in the bounded list, or unmaps it.
#[inline(never)]
fn to_others(pool: &Pool, older: Pooled) {
    let mut others = pool.others.borrow_mut();
    // `last` and the first `HOT_CAPACITY - 1` of `others` are the hot tier. A stack that
    // `swap_remove` moves down into it was released, so the tier never holds more dirty ones.
    if others.len() + 1 < HOT_CAPACITY {
        others.push(older);
    } else if others.len() + 1 < POOL_CAPACITY {
        release_deep_pages(&older.stack);
        others.push(older);
    }
    // A full pool: `older` is unmapped as it drops, after the borrow of `others` has ended.
}

/// Gives back to the kernel the memory of every page of `stack` below its top [`KEEP_RESIDENT`]
/// bytes. The next use of those pages finds them zeroed, which a finished stack may well be.
#[cfg(unix)]
fn release_deep_pages(stack: &Stack) {
    use corosensei::stack::Stack as _;
    let (bottom, base) = (stack.usable_bottom(), stack.base().get());
    // `bottom` is right above the guard page, page-aligned; `end` is rounded down to a page. A
    // pooled stack belongs to no coroutine, and nothing refers into it.
    let end = base.saturating_sub(KEEP_RESIDENT) & !(slab::page_size() - 1);
    if end > bottom {
        slab::release(bottom, end - bottom);
    }
}

#[cfg(not(unix))]
fn release_deep_pages(_: &Stack) {}

/// A stack that does not come from this thread's pool.
#[cold]
fn map(size: usize) -> io::Result<Stack> {
    // Before a coroutine can run on this thread, make sure its overflow will be reported. A stack
    // taken from the pool was made on this thread earlier, so this has run already.
    crate::overflow::prepare_thread();
    let (max, max_text) = MAX_STACK_SIZE;
    if size > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("awaitlet stack_size of {size} bytes is larger than the maximum of {max_text}"),
        ));
    }
    #[cfg(unix)]
    return slab::allocate(size);
    #[cfg(not(unix))]
    corosensei::stack::DefaultStack::new(size).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot map a {size}-byte awaitlet coroutine stack: {error}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use corosensei::stack::Stack as _;

    #[test]
    fn a_recycled_stack_is_reused_for_the_same_size_only() {
        let stack = allocate(64 * 1024).unwrap();
        let base = stack.base();
        recycle(64 * 1024, stack);
        let other_size = allocate(128 * 1024).unwrap();
        assert_ne!(other_size.base(), base);
        let same_size = allocate(64 * 1024).unwrap();
        assert_eq!(same_size.base(), base);
    }

    #[test]
    fn the_pool_is_bounded() {
        let stacks: Vec<_> = (0..POOL_CAPACITY + 4)
            .map(|_| allocate(32 * 1024).unwrap())
            .collect();
        for stack in stacks {
            recycle(32 * 1024, stack);
        }
        let pooled = POOL.with(|pool| {
            let last = pool.last.take();
            let pooled = usize::from(last.is_some()) + pool.others.borrow().len();
            pool.last.set(last);
            pooled
        });
        assert_eq!(pooled, POOL_CAPACITY);
    }

    #[cfg(all(unix, target_pointer_width = "64"))]
    #[test]
    fn stacks_past_the_hot_tier_give_their_deep_pages_back() {
        use corosensei::stack::Stack as _;
        const SIZE: usize = 256 * 1024;
        let stacks: Vec<_> = (0..HOT_CAPACITY + 1)
            .map(|_| allocate(SIZE).unwrap())
            .collect();
        // Recycled in order, the last stack ends in the `last` slot and the one before it is the
        // first past the hot tier. Dirty a page deep in that one, and one at its top.
        let cold = &stacks[HOT_CAPACITY - 1];
        let deep = (cold.limit().get() + 64 * 1024) as *mut u8;
        let top = (cold.base().get() - 8) as *mut u8;
        // SAFETY: both addresses are inside the read-write part of a stack this test owns, which
        // no coroutine runs on.
        unsafe {
            deep.write(0xAA);
            top.write(0xBB);
        }
        for stack in stacks {
            recycle(SIZE, stack);
        }
        // SAFETY: the stack is pooled, not freed: its mapping is alive and nothing else uses it.
        let (deep_now, top_now) = unsafe { (deep.read(), top.read()) };
        assert_eq!(deep_now, 0, "the deep page was not released");
        assert_eq!(top_now, 0xBB, "the top of the stack should stay resident");
    }

    #[test]
    fn an_absurd_size_is_an_error() {
        let Err(error) = allocate(usize::MAX) else {
            panic!("a stack of usize::MAX bytes was mapped")
        };
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}

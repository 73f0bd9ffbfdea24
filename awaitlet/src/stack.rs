//! Coroutine stacks: where they come from and where they go.
//!
//! Every stack is a corosensei [`DefaultStack`]: one `mmap` with a `PROT_NONE` guard page below
//! the usable part, so running off the end faults instead of corrupting memory. Pages are
//! committed lazily by the kernel, so a large `stack_size` costs address space, not memory, until
//! the code actually goes that deep.
//!
//! This module is the one seam between the coroutine driver and stack memory: [`allocate`] hands
//! out a stack, [`recycle`] takes back a stack whose coroutine has *finished* (returned, panicked
//! to its end, or been fully unwound). A stack is never recycled after `force_reset`, and a leaked
//! `AsyncDef` never gets here at all, so its stack stays mapped for as long as the process lives:
//! anything pinned on it stays valid, as `Pin` requires.
//!
//! # The per-thread pool
//!
//! A fresh stack costs an `mmap`, an `mprotect`, a `munmap` and a page fault on first touch:
//! about 10 µs, as much as handing work to another thread. So finished stacks go into a small
//! per-thread pool, and the next `async_def` of the same `stack_size` on that thread takes one
//! from there: the whole create–run–finish round trip then makes no system call and no heap
//! allocation.
//!
//! The pool keeps at most [`POOL_CAPACITY`] stacks per thread, each with the `stack_size` it was
//! asked for (different sizes never share), and unmaps the rest. Pooled stacks keep their dirty
//! pages: giving them back with `madvise(MADV_DONTNEED)` is a system call plus a page fault on
//! reuse, 1–2 µs on these machines, twenty times the cost of the round trip it would be added to.
//! The memory this keeps is bounded by what the pooled coroutines actually touched: ordinary sync
//! code touches 8–40 KiB of stack, so a full pool of 1 MiB stacks holds a few hundred KiB, and
//! at worst `POOL_CAPACITY × stack_size` (16 MiB at the default size) per thread that ran deep
//! recursions. The pool is dropped, and its stacks unmapped, when the thread exits.

use std::cell::{Cell, RefCell};
use std::io;

use corosensei::stack::DefaultStack;

/// The stack type every awaitlet coroutine runs on.
pub(crate) type Stack = DefaultStack;

/// Usable bytes per coroutine stack unless [`Builder::stack_size`](crate::Builder::stack_size)
/// says otherwise: 1 MiB, corosensei's default, comfortable for ordinary sync code.
pub const DEFAULT_STACK_SIZE: usize = 1024 * 1024;

/// The largest `stack_size` accepted; more is certainly a mistake and would overflow the
/// page-rounding arithmetic further down.
const MAX_STACK_SIZE: usize = 1 << 40;

/// How many finished stacks a thread keeps for reuse (see the module docs for the memory bound).
pub(crate) const POOL_CAPACITY: usize = 16;

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
    let pooled = POOL.try_with(|pool| match pool.last.take() {
        Some(last) if last.size == size => Some(last.stack),
        last => {
            pool.last.set(last);
            let mut others = pool.others.borrow_mut();
            let index = others.iter().rposition(|pooled| pooled.size == size)?;
            Some(others.swap_remove(index).stack)
        }
    });
    match pooled {
        Ok(Some(stack)) => Ok(stack),
        _ => map(size),
    }
}

/// Takes back the stack of a finished coroutine, for reuse on this thread.
///
/// The caller guarantees that the coroutine that ran on `stack` has returned or been fully
/// unwound: no frame on it is live, and nothing refers into it any more. A full pool, or one
/// already torn down at thread exit, unmaps the stack instead.
#[inline]
pub(crate) fn recycle(size: usize, stack: Stack) {
    let _ = POOL.try_with(|pool| {
        let Some(older) = pool.last.replace(Some(Pooled { size, stack })) else {
            return;
        };
        let mut others = pool.others.borrow_mut();
        if others.len() + 1 < POOL_CAPACITY {
            if others.capacity() == 0 {
                // One allocation per thread, the first time a second stack is pooled; never again.
                others.reserve_exact(POOL_CAPACITY - 1);
            }
            others.push(older);
        }
    });
}

/// Maps a new stack.
#[cold]
fn map(size: usize) -> io::Result<Stack> {
    // Before a coroutine can run on this thread, make sure its overflow will be reported. A stack
    // taken from the pool was mapped on this thread earlier, so this has run already.
    crate::overflow::prepare_thread();
    if size > MAX_STACK_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("awaitlet stack_size of {size} bytes is larger than the maximum of 1 TiB"),
        ));
    }
    DefaultStack::new(size).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!(
                "failed to map a {size}-byte awaitlet coroutine stack: {error} \
                 (each stack takes two kernel mappings; see `vm.max_map_count`)"
            ),
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

    #[test]
    fn an_absurd_size_is_an_error() {
        let Err(error) = allocate(usize::MAX) else {
            panic!("a stack of usize::MAX bytes was mapped")
        };
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}

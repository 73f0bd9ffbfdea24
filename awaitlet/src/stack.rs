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

/// Maps a new stack with at least `size` usable bytes below a guard page.
///
/// Fails with the OS error when the kernel refuses the mapping (out of address space, or the
/// `vm.max_map_count` limit), and with `InvalidInput` for an absurd size.
pub(crate) fn allocate(size: usize) -> io::Result<Stack> {
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

/// Takes back the stack of a finished coroutine.
///
/// Today the stack is unmapped; this is where a per-thread pool plugs in.
pub(crate) fn recycle(stack: Stack) {
    drop(stack);
}

//! Slab stacks: coroutine stacks carved out of large reserved regions, one guard page each.
//!
//! A slab is one anonymous private mapping (`MAP_NORESERVE`: address space, no memory until a
//! page is touched) cut into equal slots. Each slot is a guard page followed by the usable stack,
//! whose top (its `base`) sits a few cache lines below the end of the slot, by the slot's colour
//! (see [`COLOURS`]):
//!
//! ```text
//!   slab start                                                          slab end
//!   │ guard │   usable stack 0   :c0│ guard │   usable stack 1    :c1│ ... │ guard │ ... │
//!   └ limit 0            base 0 ┘    └ limit 1            base 1 ┘
//! ```
//!
//! The guard page is installed with `madvise(MADV_GUARD_INSTALL)` (Linux 6.13 and later), which
//! makes the page fault on any access without splitting the mapping: a whole slab, thousands of
//! stacks, is one kernel mapping, where corosensei's `DefaultStack` takes two per stack and the
//! default `vm.max_map_count` (65,530) stopped a process near 32k coroutines. Where the kernel
//! refuses it (`EINVAL`: an older kernel, another OS), the guard is `mprotect(PROT_NONE)` instead,
//! which splits the mapping, two mappings per stack as before. [`guard_kind`] detects which, once
//! per process; the choice only changes how many mappings a stack costs (see `limits.rs`).
//!
//! A slot's guard is installed the first time the slot is handed out ("carved"), so a new slab
//! costs one `mmap` and nothing per slot until used. A stack that comes back here (its thread's
//! pool was full, or the thread exited) gives its memory back to the kernel (`MADV_DONTNEED`,
//! which keeps guard pages in place) and its slot goes on the slab's free list. A slab whose
//! stacks have all come back is unmapped, except one per stack size, kept (with no memory in it)
//! so that a program that keeps going from zero to a few coroutines and back does not map and
//! unmap a slab each time.
//!
//! The slabs are process-wide, behind one mutex: a stack may come back from any thread, and the
//! lock is only taken for a fresh stack or one the per-thread pool does not keep, which cost a
//! system call anyway. Slabs for one stack size start at [`MIN_SLOTS`] slots and double with each
//! further slab up to [`MAX_SLOTS`] (and [`MAX_SLAB_BYTES`]), so a program with three coroutines
//! reserves little and one with a million a few hundred slabs (37 mappings in all, measured:
//! neighbouring slabs merge into one mapping).

use std::io;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{MIN_STACK_SIZE, StackPointer};

use super::limits;

/// Slots in the first slab of a stack size; each further slab of that size has twice as many.
const MIN_SLOTS: usize = 16;

/// Slots in the largest slabs: 4,096 stacks of 64 KiB are a 272 MiB reservation.
const MAX_SLOTS: usize = 4096;

/// The largest reservation for one slab (1,020 stacks of 1 MiB), so that even a program with
/// huge stacks reserves address space in steps it can afford.
const MAX_SLAB_BYTES: usize = 1 << 30;

/// `MADV_GUARD_INSTALL` from `<linux/mman.h>` (Linux 6.13); not in the `libc` crate yet.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// How this process puts guard pages below its stacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GuardKind {
    /// `madvise(MADV_GUARD_INSTALL)`: a guard page costs no mapping.
    Madvise,
    /// `mprotect(PROT_NONE)`: each guard page splits the slab, two mappings per stack.
    Mprotect,
}

impl GuardKind {
    /// Kernel mappings each carved slot adds to its slab's one.
    pub(super) fn mappings_per_stack(self) -> usize {
        match self {
            GuardKind::Madvise => 0,
            GuardKind::Mprotect => 2,
        }
    }
}

/// 0 until detected, then 1 + the `GuardKind` discriminant.
static GUARD_KIND: AtomicU8 = AtomicU8::new(0);

/// How guard pages are installed in this process: detected on first use.
pub(crate) fn guard_kind() -> GuardKind {
    match GUARD_KIND.load(Ordering::Relaxed) {
        1 => GuardKind::Madvise,
        2 => GuardKind::Mprotect,
        _ => {
            let detected = detect_guard_kind();
            // A racing thread detects the same answer, or `force_mprotect` got there first; the
            // first store wins either way.
            let encoded = 1 + detected as u8;
            match GUARD_KIND.compare_exchange(0, encoded, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => detected,
                Err(_) => guard_kind(),
            }
        }
    }
}

/// Makes this process use `mprotect` guard pages even where `MADV_GUARD_INSTALL` works, so that
/// tests can exercise the fallback. Returns `false`, changing nothing, once a kind is chosen.
pub(crate) fn force_mprotect() -> bool {
    let encoded = 1 + GuardKind::Mprotect as u8;
    GUARD_KIND
        .compare_exchange(0, encoded, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
        || GUARD_KIND.load(Ordering::Relaxed) == encoded
}

/// Tries `MADV_GUARD_INSTALL` on a page of its own, and checks that the page is then guarded.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn detect_guard_kind() -> GuardKind {
    let page = page_size();
    // SAFETY: an anonymous private mapping with no address hint has no preconditions.
    let probe = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if probe == libc::MAP_FAILED {
        // Out of mappings or memory already: the first slab will say which, precisely.
        return GuardKind::Mprotect;
    }
    // SAFETY: `probe` is a page this function just mapped and nothing else uses.
    let installed = unsafe { libc::madvise(probe, page, MADV_GUARD_INSTALL) } == 0
        && kernel_refuses_to_read(probe);
    // SAFETY: the same page, unmapped once; unmapping removes the guard with it.
    unsafe { libc::munmap(probe, page) };
    if installed {
        GuardKind::Madvise
    } else {
        GuardKind::Mprotect
    }
}

/// Whether a system call that reads `page` fails with `EFAULT`, as it does for a guard page.
///
/// `madvise` answering 0 is not enough: qemu-user answers every advice it does not know with
/// success and does nothing, and a stack overflow there would then run on into the stack below.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn kernel_refuses_to_read(page: *mut libc::c_void) -> bool {
    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for the two descriptors.
    if unsafe { libc::pipe(pipe.as_mut_ptr()) } != 0 {
        return false; // out of descriptors: cannot tell, so trust `mprotect` instead
    }
    // SAFETY: writing one byte from `page`, which is mapped: a guard page only makes the kernel's
    // read of it fail. The pipe is empty, so the write cannot block.
    let written = unsafe { libc::write(pipe[1], page, 1) };
    let refused = written == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT);
    for fd in pipe {
        // SAFETY: both descriptors were opened above, and are closed once, here.
        unsafe { libc::close(fd) };
    }
    refused
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn detect_guard_kind() -> GuardKind {
    GuardKind::Mprotect
}

/// The system's page size, asked once.
pub(crate) fn page_size() -> usize {
    static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);
    match PAGE_SIZE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: `sysconf` has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            let page = usize::try_from(page)
                .ok()
                .filter(|page| page.is_power_of_two())
                .unwrap_or(4096);
            PAGE_SIZE.store(page, Ordering::Relaxed);
            page
        }
        page => page,
    }
}

/// How many different offsets ("colours") the tops of stacks start at, [`COLOUR_STEP`] bytes
/// apart: slot `n` starts its stack `(n % COLOURS) * COLOUR_STEP` bytes below the top of its slot.
///
/// Were every stack to start at the top of a page, the frames each coroutine touches on every
/// resume would sit at the same offset in a page in every stack, and the L1 data cache, which
/// picks a set by those offset bits (64 sets of 8 lines in a 32 KiB cache), could hold them for 8
/// coroutines at most. With 16 tasks taking turns, each `awaitlet!` of a future pending once
/// missed the L1 cache 4 times (callgrind's cache model: 2.7 million misses in 640,000 awaits,
/// against 4,700 for native async). Spread over 32 colours they fit again. The colours span less
/// than half a page, so a coroutine that uses little stack still touches only its top page.
const COLOURS: usize = 32;

/// Bytes between two colours: a cache line.
const COLOUR_STEP: usize = 64;

/// Bytes from one slot to the next for stacks of at least `size` usable bytes below any colour:
/// the usable part and the colour span rounded up to whole pages, plus the guard page. `None` on
/// overflow.
pub(super) fn stride_for(size: usize) -> Option<usize> {
    let page = page_size();
    let usable = size
        .max(MIN_STACK_SIZE)
        .checked_add((COLOURS - 1) * COLOUR_STEP)?
        .checked_next_multiple_of(page)?;
    usable.checked_add(page)
}

/// A coroutine stack in a slab slot: the guard page at `limit`, the usable part above it up to
/// `base`, which is its colour below the top of the slot. Dropping it hands the slot back to its
/// slab.
pub(crate) struct Stack {
    base: StackPointer,
    limit: StackPointer,
    /// The end of the slot.
    top: usize,
    valgrind: ManuallyDrop<ValgrindStackRegistration>,
}

impl Stack {
    /// The lowest usable address, right above the guard page.
    pub(crate) fn usable_bottom(&self) -> usize {
        self.limit.get() + page_size()
    }
}

// SAFETY: `limit..base` is a whole slot of a live slab: a guard page that faults on any access
// (installed when the slot was carved, and never removed while the slab is mapped), then at
// least `MIN_STACK_SIZE` read-write bytes. Both ends are page-aligned, so aligned to
// `STACK_ALIGNMENT`. The slot is this `Stack`'s alone until it is dropped: the registry hands a
// slot out once and takes it back only from `Drop`, and unmaps a slab only when none of its slots
// is handed out.
unsafe impl corosensei::stack::Stack for Stack {
    #[inline]
    fn base(&self) -> StackPointer {
        self.base
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        self.limit
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // Deregister first: once the slot is back in the registry, another thread may take it
        // and register it again.
        // SAFETY: dropped once, here, and never used again.
        unsafe { ManuallyDrop::drop(&mut self.valgrind) };
        let bottom = self.usable_bottom();
        release(bottom, self.top - bottom);
        lock().give_back(self.limit.get(), self.top - self.limit.get());
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("limit", &format_args!("{:#x}", self.limit))
            .field("base", &format_args!("{:#x}", self.base))
            .finish()
    }
}

/// Gives the memory of `[start, start + len)` back to the kernel; it reads back as zeroes.
/// Guard pages installed with `MADV_GUARD_INSTALL` stay in place.
pub(crate) fn release(start: usize, len: usize) {
    if len == 0 {
        return;
    }
    // SAFETY: callers pass a page-aligned range inside a slot they own (a stack no coroutine runs
    // on, that nothing refers into); `MADV_DONTNEED` on private anonymous memory only drops its
    // contents. A failure (a page size this code does not expect) only costs memory.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) };
}

/// A stack of at least `size` usable bytes, carved from a slab. `size` must be at most the
/// caller's maximum, so that the stride arithmetic cannot overflow.
pub(crate) fn allocate(size: usize) -> io::Result<Stack> {
    let stride = stride_for(size).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "awaitlet stack_size overflows the address space",
        )
    })?;
    let limit = lock().take(stride)?;
    let top = limit + stride;
    let colour = (limit / stride) % COLOURS * COLOUR_STEP;
    Ok(Stack {
        // Slab addresses are never 0: `mmap` does not return the null page.
        base: StackPointer::new(top - colour).expect("a slab slot at address 0"),
        limit: StackPointer::new(limit).expect("a slab slot at address 0"),
        top,
        valgrind: ManuallyDrop::new(ValgrindStackRegistration::new(limit as *mut u8, stride)),
    })
}

/// Every slab of the process, grouped by stride.
struct Registry {
    classes: Vec<Class>,
}

/// The slabs of one stride, sorted by address.
struct Class {
    stride: usize,
    slabs: Vec<Slab>,
    /// No slab before this index has room: where the search for a free slot starts, so that a
    /// million stacks in a few hundred slabs do not cost a scan of them each.
    first_with_room: usize,
}

/// One reserved region and the state of its slots.
struct Slab {
    start: usize,
    slots: usize,
    /// Slots `0..carved` have their guard page; the others are untouched address space.
    carved: usize,
    /// Carved slots not handed out, their memory released.
    free: Vec<u32>,
    /// Slots handed out: stacks alive, in a pool, or leaked.
    live: usize,
    /// How this slab's guard pages are installed.
    guard: GuardKind,
}

impl Slab {
    fn has_room(&self) -> bool {
        !self.free.is_empty() || self.carved < self.slots
    }

    fn end(&self, stride: usize) -> usize {
        self.start + self.slots * stride
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    classes: Vec::new(),
});

/// The registry. Nothing panics while holding it, so a poisoned lock cannot hold broken state.
fn lock() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    fn class(&mut self, stride: usize) -> &mut Class {
        let index = match self.classes.iter().position(|class| class.stride == stride) {
            Some(index) => index,
            None => {
                self.classes.push(Class {
                    stride,
                    slabs: Vec::new(),
                    first_with_room: 0,
                });
                self.classes.len() - 1
            }
        };
        &mut self.classes[index]
    }

    /// Mappings promised but not made yet: with `mprotect` guards, the two that each slot not yet
    /// carved will add. The headroom check counts them as taken.
    fn promised_mappings(&self) -> usize {
        self.classes
            .iter()
            .flat_map(|class| &class.slabs)
            .map(|slab| (slab.slots - slab.carved) * slab.guard.mappings_per_stack())
            .sum()
    }

    /// The limit address of a free slot of `stride`, from the lowest slab with room, or a new one.
    fn take(&mut self, stride: usize) -> io::Result<usize> {
        let class = self.class(stride);
        let from = class.first_with_room.min(class.slabs.len());
        let index = match class.slabs[from..].iter().position(Slab::has_room) {
            Some(offset) => from + offset,
            None => {
                let promised = self.promised_mappings();
                self.class(stride).map_slab(promised)?
            }
        };
        let class = self.class(stride);
        class.first_with_room = index;
        let slab = &mut class.slabs[index];
        let slot = match slab.free.pop() {
            Some(slot) => slot as usize,
            None => {
                let slot = slab.carved;
                install_guard(slab.start + slot * stride, slab.guard)?;
                slab.carved += 1;
                slot
            }
        };
        slab.live += 1;
        Ok(slab.start + slot * stride)
    }

    /// Takes back the slot at `limit`, whose memory the caller has released.
    fn give_back(&mut self, limit: usize, stride: usize) {
        let class = self.class(stride);
        let index = class.slabs.partition_point(|slab| slab.start <= limit) - 1;
        let slab = &mut class.slabs[index];
        debug_assert!(limit < slab.end(stride), "a stack outside every slab");
        let slot = (limit - slab.start) / stride;
        slab.free
            .push(u32::try_from(slot).expect("at most MAX_SLOTS slots"));
        slab.live -= 1;
        class.first_with_room = class.first_with_room.min(index);
        if slab.live == 0 {
            class.unmap_spare_slab(index);
        }
    }
}

impl Class {
    /// Maps a new slab, as large as the headroom allows up to the next size in the doubling
    /// sequence, and returns its index.
    fn map_slab(&mut self, promised_mappings: usize) -> io::Result<usize> {
        let stride = self.stride;
        let doubled = MIN_SLOTS
            .checked_shl(self.slabs.len() as u32)
            .unwrap_or(MAX_SLOTS);
        let wanted = doubled.min(MAX_SLOTS).min(MAX_SLAB_BYTES / stride).max(1);
        let guard = guard_kind();
        let slots = limits::fit(stride, wanted, guard, promised_mappings)?;
        let len = slots * stride;
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | MAP_NORESERVE,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return Err(limits::map_failed(len, io::Error::last_os_error()));
        }
        // Where transparent huge pages are on for every mapping, a stack's first touch (or
        // khugepaged, later) could back a whole 2 MiB of slab, some thirty stacks' worth of
        // address space, with memory: 70 KiB per suspended coroutine instead of 4.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: advice on the mapping just made, which nothing uses yet; a refusal only leaves
        // the system's default in place.
        unsafe {
            libc::madvise(start, len, libc::MADV_NOHUGEPAGE)
        };
        let slab = Slab {
            start: start as usize,
            slots,
            carved: 0,
            free: Vec::new(),
            live: 0,
            guard,
        };
        let index = self.slabs.partition_point(|other| other.start < slab.start);
        self.slabs.insert(index, slab);
        Ok(index)
    }

    /// The slab at `index` has just emptied: unmap it, unless it is this stride's only empty
    /// slab, which stays as the spare. Of two empty slabs the larger stays.
    fn unmap_spare_slab(&mut self, index: usize) {
        let stride = self.stride;
        let other_empty = self
            .slabs
            .iter()
            .enumerate()
            .position(|(other, slab)| other != index && slab.live == 0);
        let Some(other) = other_empty else { return };
        let unmap = if self.slabs[other].slots < self.slabs[index].slots {
            other
        } else {
            index
        };
        let slab = self.slabs.remove(unmap);
        if unmap < self.first_with_room {
            self.first_with_room -= 1;
        }
        // SAFETY: no slot of the slab is handed out (`live == 0`), so no `Stack` refers to it and
        // nothing runs on it; it is removed from the registry first, so it is unmapped once.
        unsafe { libc::munmap(slab.start as *mut libc::c_void, slab.slots * stride) };
    }
}

/// `MAP_NORESERVE` where the system has it: reserve the address space, commit nothing.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAP_NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAP_NORESERVE: libc::c_int = 0;

/// Makes the page at `page` fault on every access.
fn install_guard(page: usize, guard: GuardKind) -> io::Result<()> {
    let len = page_size();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if guard == GuardKind::Madvise {
        // SAFETY: `page` is the first page of a slot not handed out yet, inside a slab this
        // registry mapped read-write: nothing lives there to be lost.
        if unsafe { libc::madvise(page as *mut libc::c_void, len, MADV_GUARD_INSTALL) } == 0 {
            return Ok(());
        }
        // Refused for this mapping alone (an `mlockall(MCL_FUTURE)` process, say): fall through
        // to `mprotect`, whose mapping cost the headroom check did not count; rare enough.
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = guard;
    // SAFETY: as above; `PROT_NONE` on a page nothing uses.
    if unsafe { libc::mprotect(page as *mut libc::c_void, len, libc::PROT_NONE) } == 0 {
        Ok(())
    } else {
        Err(limits::guard_failed(io::Error::last_os_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corosensei::stack::Stack as _;

    /// `(slabs, slots handed out)` for stacks of `size`.
    fn census(size: usize) -> (usize, usize) {
        let stride = stride_for(size).unwrap();
        let mut registry = lock();
        let class = registry.class(stride);
        let live = class.slabs.iter().map(|slab| slab.live).sum();
        (class.slabs.len(), live)
    }

    // Each test uses a stack size of its own, so tests running in parallel never share a slab.

    #[test]
    fn slabs_double_and_only_one_empty_slab_stays_mapped() {
        const SIZE: usize = 200 * 1024 + 1;
        // 16 + 32 slots in the first two slabs: the 49th stack needs a third.
        let stacks: Vec<_> = (0..49).map(|_| allocate(SIZE).unwrap()).collect();
        assert_eq!(census(SIZE), (3, 49));
        drop(stacks);
        assert_eq!(census(SIZE), (1, 0), "one empty slab stays as the spare");
        let again: Vec<_> = (0..64).map(|_| allocate(SIZE).unwrap()).collect();
        assert_eq!(census(SIZE).1, 64);
        drop(again);
        assert_eq!(census(SIZE), (1, 0));
    }

    #[test]
    fn a_stack_given_back_is_zeroed_before_its_slot_is_used_again() {
        const SIZE: usize = 200 * 1024 + 2;
        let stack = allocate(SIZE).unwrap();
        let (limit, top) = (stack.limit(), (stack.base().get() - 8) as *mut u64);
        // SAFETY: the top word of the usable part of a stack this test owns.
        unsafe { top.write(0xDEAD_BEEF) };
        drop(stack);
        let again = allocate(SIZE).unwrap();
        assert_eq!(
            again.limit(),
            limit,
            "the freed slot is the next one handed out"
        );
        // SAFETY: as above, for the stack that now owns the slot.
        assert_eq!(unsafe { top.read() }, 0);
    }

    #[test]
    fn live_stacks_never_overlap_and_keep_their_guard_page() {
        const SIZE: usize = 12 * 1024 + 3;
        let mut stacks: Vec<_> = (0..100).map(|_| allocate(SIZE).unwrap()).collect();
        stacks.sort_by_key(|stack| stack.limit());
        for pair in stacks.windows(2) {
            assert!(
                pair[0].base() <= pair[1].limit(),
                "{:?} overlaps {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut colours = std::collections::HashSet::new();
        for stack in &stacks {
            assert_eq!(stack.usable_bottom() - stack.limit().get(), page_size());
            assert!(stack.base().get() - stack.usable_bottom() >= SIZE);
            assert_eq!(stack.base().get() % corosensei::stack::STACK_ALIGNMENT, 0);
            colours.insert(stack.top - stack.base().get());
        }
        assert_eq!(
            colours.len(),
            COLOURS,
            "the tops of 100 stacks in {} colours",
            colours.len()
        );
    }

    #[test]
    fn strides_are_whole_pages_plus_a_guard_page() {
        let page = page_size();
        let colours = (COLOURS - 1) * COLOUR_STEP;
        assert!(colours < page / 2);
        assert_eq!(
            stride_for(1),
            Some((MIN_STACK_SIZE + colours).next_multiple_of(page) + page)
        );
        assert_eq!(stride_for(64 * 1024), Some(64 * 1024 + 2 * page));
        assert_eq!(stride_for(64 * 1024 - colours), Some(64 * 1024 + page));
        assert_eq!(stride_for(usize::MAX), None);
    }
}

//! The limits a process meets when it maps coroutine stacks, and the headroom kept below them.
//!
//! Stacks run into one of these, whichever comes first:
//!
//! - **`vm.max_map_count`**, the kernel's limit on mappings per process (65,530 by default). A
//!   slab costs one mapping with `MADV_GUARD_INSTALL` guard pages, and two more per stack with
//!   `mprotect` ones.
//! - **`RLIMIT_AS`** (`ulimit -v`), the limit on the process's address space, and **`RLIMIT_DATA`**
//!   (`ulimit -d`), which since Linux 4.7 counts private writable mappings like these.
//! - **Memory**: with strict overcommit (`vm.overcommit_memory = 2`) the kernel commits every
//!   mapping in full, `MAP_NORESERVE` or not, and refuses what exceeds its commit limit.
//! - **Address space** itself, 128 TiB on x86-64 Linux: 128 slabs of 1 TiB stacks.
//!
//! A process that reaches the first two with nothing to spare cannot start a thread, grow its
//! heap or even print a panic's backtrace; one program that kept coroutines alive past the mapping
//! limit with `RUST_BACKTRACE=1` hung: the panic hook could not allocate, and the out-of-memory
//! handler then waited on the backtrace lock the hook held. So before it maps a slab, [`fit`]
//! measures the mappings and address space in use, keeps a reserve free ([`MAP_RESERVE_MIN`],
//! [`ADDRESS_RESERVE_MIN`], or a share of the limit when that is more), and makes the slab
//! smaller, or fails with an error that names the limit and how to raise it, rather than use the
//! reserve. The measuring reads `/proc/self/maps` and `/proc/self/statm`: tens of microseconds,
//! once per slab, that is once per thousands of stacks.
//!
//! The last two limits are not measured: they show as a refused `mmap`, which [`map_failed`]
//! explains. Elsewhere than Linux and Android nothing is measured.

use std::io;

use super::slab::GuardKind;

/// Mappings kept free below `vm.max_map_count`, at least: enough for a few hundred threads and
/// many large heap allocations.
const MAP_RESERVE_MIN: usize = 1024;

/// Bytes kept free below `RLIMIT_AS` and `RLIMIT_DATA`, at least: a thread's stack and a malloc
/// arena (64 MiB reserved on 64-bit glibc) with room to spare.
const ADDRESS_RESERVE_MIN: usize = 128 << 20;

/// The number of slots, between 1 and `wanted`, of a new slab of `stride`-byte slots that fit
/// below every limit with its reserve kept free; or the error that names the limit in the way.
///
/// `promised_mappings` are mappings that slots of existing slabs will add when carved.
pub(super) fn fit(
    stride: usize,
    wanted: usize,
    guard: GuardKind,
    promised_mappings: usize,
) -> io::Result<usize> {
    let mut slots = wanted;
    let mut binding = None;
    for limit in measure(promised_mappings) {
        let allowed = limit.slots_allowed(stride, guard);
        if allowed < slots {
            slots = allowed;
            binding = Some(limit);
        }
    }
    match binding {
        Some(limit) if slots == 0 => Err(limit.error(stride, guard)),
        _ => Ok(slots),
    }
}

/// One limit, as measured now.
#[cfg_attr(
    not(any(target_os = "linux", target_os = "android")),
    allow(dead_code, reason = "measured on Linux and Android only")
)]
#[derive(Debug)]
enum Limit {
    /// `vm.max_map_count` and the mappings in use.
    Mappings {
        max: usize,
        used: usize,
        promised: usize,
    },
    /// `RLIMIT_AS` or `RLIMIT_DATA`, in bytes, and the bytes they count in use.
    Bytes {
        resource: Resource,
        max: usize,
        used: usize,
    },
}

#[cfg_attr(
    not(any(target_os = "linux", target_os = "android")),
    allow(dead_code, reason = "measured on Linux and Android only")
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resource {
    AddressSpace,
    Data,
}

impl Limit {
    fn reserve(&self) -> usize {
        match *self {
            Limit::Mappings { max, .. } => (max / 16).max(MAP_RESERVE_MIN),
            Limit::Bytes { max, .. } => (max / 8).max(ADDRESS_RESERVE_MIN),
        }
    }

    /// How many slots of `stride` a new slab may have without eating into the reserve.
    fn slots_allowed(&self, stride: usize, guard: GuardKind) -> usize {
        let reserve = self.reserve();
        match *self {
            Limit::Mappings {
                max,
                used,
                promised,
            } => {
                let free = max.saturating_sub(used + reserve + promised);
                // The slab itself takes one mapping; each slot may add more.
                match (free, guard.mappings_per_stack()) {
                    (0, _) => 0,
                    (_, 0) => usize::MAX,
                    (free, per_stack) => (free - 1) / per_stack,
                }
            }
            Limit::Bytes { max, used, .. } => max.saturating_sub(used + reserve) / stride,
        }
    }

    fn error(&self, stride: usize, guard: GuardKind) -> io::Error {
        let reserve = self.reserve();
        let message = match *self {
            Limit::Mappings {
                max,
                used,
                promised,
            } => {
                let per_stack = match guard {
                    GuardKind::Madvise => String::new(),
                    GuardKind::Mprotect => " (without `MADV_GUARD_INSTALL`, Linux 6.13 and later, \
                                           each stack takes two mappings)"
                        .to_string(),
                };
                let promised = match promised {
                    0 => String::new(),
                    promised => format!(", {promised} more promised to stacks already reserved"),
                };
                format!(
                    "cannot map another awaitlet coroutine stack: the process would exceed its \
                     limit on memory mappings, `vm.max_map_count` = {max}, with {used} in \
                     use{promised} and {reserve} kept free for threads and the heap{per_stack}; \
                     raise it with `sysctl -w vm.max_map_count=N`, or keep fewer coroutines \
                     alive at once"
                )
            }
            Limit::Bytes {
                resource,
                max,
                used,
            } => {
                let (name, raise) = match resource {
                    Resource::AddressSpace => ("`RLIMIT_AS`", "`ulimit -v`"),
                    Resource::Data => ("`RLIMIT_DATA`", "`ulimit -d`"),
                };
                format!(
                    "cannot map another awaitlet coroutine stack of {stride} bytes: the process \
                     would exceed its address-space limit, {name} = {}, with {} in use and {} \
                     kept free for threads and the heap; raise it with {raise} (`setrlimit`), \
                     use a smaller `stack_size`, or keep fewer coroutines alive at once",
                    bytes(max),
                    bytes(used),
                    bytes(reserve),
                )
            }
        };
        io::Error::new(io::ErrorKind::OutOfMemory, message)
    }
}

/// `mmap` refused a slab of `len` bytes with `error`: say which limit that is.
pub(super) fn map_failed(len: usize, error: io::Error) -> io::Error {
    let why = if strict_overcommit() {
        "out of memory: with `vm.overcommit_memory = 2` the kernel commits every mapping in full; \
         raise `vm.overcommit_ratio` or add memory, use a smaller `stack_size`, or keep fewer \
         coroutines alive at once"
    } else {
        "out of address space or memory; use a smaller `stack_size`, or keep fewer coroutines \
         alive at once"
    };
    io::Error::new(
        error.kind(),
        format!(
            "cannot reserve {} for awaitlet coroutine stacks: {error}: {why}",
            bytes(len)
        ),
    )
}

/// A guard page could not be installed: with `mprotect`, that is the mapping limit.
pub(super) fn guard_failed(error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "cannot install the guard page of an awaitlet coroutine stack: {error}: the process \
             is out of memory mappings (`vm.max_map_count`); raise it with `sysctl -w \
             vm.max_map_count=N`, or keep fewer coroutines alive at once"
        ),
    )
}

/// `1.5 GiB`, `640 MiB`, `12 KiB`: a byte count in the largest binary unit that keeps it >= 1.
fn bytes(n: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use self::linux::{measure, strict_overcommit};

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn measure(_promised_mappings: usize) -> Vec<Limit> {
    Vec::new()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn strict_overcommit() -> bool {
    false
}

/// A stand-in for `vm.max_map_count`, for tests that cannot lower the real one; 0 for none.
static MAX_MAP_COUNT_OVERRIDE: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Makes the headroom check use `max` instead of `vm.max_map_count` (tests only).
pub(crate) fn override_max_map_count(max: usize) {
    MAX_MAP_COUNT_OVERRIDE.store(max, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::sync::atomic::Ordering;

    use super::{Limit, MAX_MAP_COUNT_OVERRIDE, Resource};
    use crate::stack::slab::page_size;

    /// Every limit that can be measured now.
    pub(super) fn measure(promised: usize) -> Vec<Limit> {
        let mut limits = Vec::with_capacity(3);
        if let Some(max) = max_map_count()
            && let Some(used) = mappings_in_use()
        {
            limits.push(Limit::Mappings {
                max,
                used,
                promised,
            });
        }
        let address_space = rlimit(libc::RLIMIT_AS);
        let data = rlimit(libc::RLIMIT_DATA);
        if address_space.is_some() || data.is_some() {
            // `statm`: size resident shared text lib data dt, in pages; `data` is data + stack.
            let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
            let fields: Vec<usize> = statm
                .split_whitespace()
                .map(|field| field.parse().unwrap_or(0))
                .collect();
            let pages = |index: usize| fields.get(index).map(|pages| pages * page_size());
            if let (Some(max), Some(used)) = (address_space, pages(0)) {
                limits.push(Limit::Bytes {
                    resource: Resource::AddressSpace,
                    max,
                    used,
                });
            }
            if let (Some(max), Some(used)) = (data, pages(5)) {
                limits.push(Limit::Bytes {
                    resource: Resource::Data,
                    max,
                    used,
                });
            }
        }
        limits
    }

    /// `vm.max_map_count`, read anew each time so a raised limit counts at once.
    fn max_map_count() -> Option<usize> {
        match MAX_MAP_COUNT_OVERRIDE.load(Ordering::Relaxed) {
            0 => std::fs::read_to_string("/proc/sys/vm/max_map_count")
                .ok()?
                .trim()
                .parse()
                .ok(),
            max => Some(max),
        }
    }

    /// The mappings of this process: one line each in `/proc/self/maps`.
    fn mappings_in_use() -> Option<usize> {
        let maps = std::fs::read("/proc/self/maps").ok()?;
        Some(maps.iter().filter(|&&byte| byte == b'\n').count())
    }

    #[cfg(target_env = "gnu")]
    type RlimitResource = libc::__rlimit_resource_t;
    #[cfg(not(target_env = "gnu"))]
    type RlimitResource = libc::c_int;

    /// The soft limit of `resource` in bytes, `None` when unlimited.
    fn rlimit(resource: RlimitResource) -> Option<usize> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid `rlimit` for the kernel to fill.
        if unsafe { libc::getrlimit(resource, &mut limit) } != 0
            || limit.rlim_cur == libc::RLIM_INFINITY
        {
            return None;
        }
        usize::try_from(limit.rlim_cur).ok()
    }

    /// Whether the kernel commits every mapping in full (`vm.overcommit_memory = 2`).
    pub(super) fn strict_overcommit() -> bool {
        std::fs::read_to_string("/proc/sys/vm/overcommit_memory")
            .is_ok_and(|mode| mode.trim() == "2")
    }
}

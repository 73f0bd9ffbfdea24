//! Not public API: the items that expanded macros name. They may change in any release.
//!
//! The `=` version pin between `awaitlet` and `awaitlet-macros` keeps both sides of this module in
//! step, so no versioned module name is needed.

#[doc(hidden)]
pub use awaitlet_macros::awaitlet;

/// What `awaitlet!` expands to a call of (the macro and the fn share the name, in two namespaces).
#[doc(hidden)]
pub use crate::suspend::awaitlet;

/// The builder `#[async_def]` starts from. A name of its own, rather than `Builder::new`, so that
/// rustc never suggests importing some other `Builder` when the crate path is wrong.
#[doc(hidden)]
#[inline]
pub const fn builder() -> crate::Builder {
    crate::Builder::new()
}

/// What `#[async_def]` on an `async fn` wraps the body's `async` block in: it fixes the block's
/// output type to the fn's, which rustc cannot infer through `?` otherwise.
#[doc(hidden)]
#[inline(always)]
pub fn returns<R, F: core::future::Future<Output = R>>(future: F) -> F {
    future
}

/// What `#[async_def(send)]` expands to.
#[doc(hidden)]
pub use crate::send::{Sendable, sendable, spawn_send, spawn_send_portal};
/// Switches for awaitlet's own tests, which exercise paths a given machine would not take.
#[doc(hidden)]
pub mod testing {
    /// Makes this process use `mprotect` guard pages even where `MADV_GUARD_INSTALL` works.
    /// Takes effect only before the first coroutine stack is made; returns whether it did.
    #[doc(hidden)]
    pub fn force_mprotect_guards() -> bool {
        #[cfg(unix)]
        return crate::stack::slab::force_mprotect();
        #[cfg(not(unix))]
        false
    }

    /// How this process guards its stacks: `"madvise"` (`MADV_GUARD_INSTALL`), `"mprotect"`, or
    /// `"default-stack"` (corosensei's own stacks, off Unix).
    #[doc(hidden)]
    pub fn guard_kind() -> &'static str {
        #[cfg(unix)]
        return match crate::stack::slab::guard_kind() {
            crate::stack::slab::GuardKind::Madvise => "madvise",
            crate::stack::slab::GuardKind::Mprotect => "mprotect",
        };
        #[cfg(not(unix))]
        "default-stack"
    }

    /// Makes `hook` run while the `spawn_pinned` pool starts, after it read its configured size and
    /// before it is published. Returns whether it was set: only the first hook is.
    #[doc(hidden)]
    #[cfg(feature = "tokio")]
    pub fn on_pool_start(hook: fn()) -> bool {
        crate::tokio::on_pool_start(hook)
    }

    /// Bytes of the running coroutine's stack below this call's frame, down to its guard page;
    /// `None` outside a coroutine body.
    #[doc(hidden)]
    #[inline(never)]
    pub fn stack_left() -> Option<usize> {
        let crate::context::Current::Running(frame) = crate::context::current() else {
            return None;
        };
        // SAFETY: the slot names a frame only while its coroutine runs, and this code runs on it.
        let stack = unsafe { frame.as_ref() }.stack();
        let here = core::ptr::addr_of!(stack).addr();
        // A slab stack's limit is the start of its guard page (see `stack/slab.rs`).
        #[cfg(unix)]
        let bottom = stack.limit + crate::stack::slab::page_size();
        #[cfg(not(unix))]
        let bottom = stack.limit;
        Some(here.saturating_sub(bottom))
    }

    /// Makes the headroom check take `max` as the limit on memory mappings, in place of
    /// `vm.max_map_count`, which a test cannot lower.
    #[doc(hidden)]
    pub fn override_max_map_count(max: usize) {
        #[cfg(unix)]
        crate::stack::override_max_map_count(max);
        #[cfg(not(unix))]
        let _ = max;
    }
}

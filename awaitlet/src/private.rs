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

/// What `#[async_def(send)]` expands to.
#[doc(hidden)]
pub use crate::send::{Sendable, sendable, spawn_send};

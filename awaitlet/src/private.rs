//! Not public API: the items that expanded macros name. They may change in any release.
//!
//! The `=` version pin between `awaitlet` and `awaitlet-macros` keeps both sides of this module in
//! step, so no versioned module name is needed.

#[doc(hidden)]
pub use awaitlet_macros::awaitlet;

//! Implementation detail of the `awaitlet` crate: the `#[async_def]` attribute and the `awaitlet!`
//! expression macro. Depend on `awaitlet`, which re-exports them with their documentation.
#![forbid(unsafe_code)]

mod args;
mod awaitlet;
mod expand;
mod item;
mod validate;

use proc_macro::TokenStream;

/// Turns a sync fn into an async fn whose body runs on an awaitlet coroutine.
///
/// See `awaitlet::async_def` for the documentation.
#[proc_macro_attribute]
pub fn async_def(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::async_def(args.into(), item.into()).into()
}

/// The expansion of `awaitlet::awaitlet!`; not to be called directly.
#[doc(hidden)]
#[proc_macro]
pub fn awaitlet(input: TokenStream) -> TokenStream {
    awaitlet::expand(input.into()).into()
}

//! `awaitlet!(future)`: exactly one expression, handed to `awaitlet::awaitlet`.
//!
//! The runtime crate's `macro_rules! awaitlet` calls this with its `$crate` in brackets first, so
//! the expansion names the runtime crate however it was imported, renamed or re-exported.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Token};

const ONE_FUTURE: &str = "`awaitlet!` expects exactly one future expression: `awaitlet!(future)`";

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let krate = match tokens.next() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => group.stream(),
        _ => {
            let message = "this macro is an implementation detail; use `awaitlet::awaitlet!`";
            return syn::Error::new(Span::call_site(), message).to_compile_error();
        }
    };
    match parse(tokens.collect()) {
        Ok(future) => quote_spanned!(future.span()=> #krate::awaitlet(#future)),
        Err(error) => error.to_compile_error(),
    }
}

/// The one expression, or an error spanned at what is missing or extra.
fn parse(tokens: TokenStream) -> syn::Result<Expr> {
    let mut args = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens)?;
    if args.len() > 1 {
        return Err(syn::Error::new(args[1].span(), ONE_FUTURE));
    }
    args.pop()
        .map(|pair| pair.into_value())
        .ok_or_else(|| syn::Error::new(Span::call_site(), ONE_FUTURE))
}

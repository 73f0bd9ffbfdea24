//! `awaitlet!(future)`: exactly one expression, handed to `awaitlet::awaitlet`.
//!
//! The runtime crate's `macro_rules! awaitlet` calls this with a path to its `__private` module in
//! brackets first, so the expansion names the runtime crate however it was imported, renamed or
//! re-exported.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote_spanned};
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
        Ok(future) => call(krate, &future),
        Err(error) => error.to_compile_error(),
    }
}

/// `krate::awaitlet(future)`, with the path spanned at the future's first token and the
/// parentheses at its last, so every error about the call lands on the user's expression.
fn call(krate: TokenStream, future: &Expr) -> TokenStream {
    let tokens: Vec<TokenTree> = future.to_token_stream().into_iter().collect();
    let first = tokens.first().map_or_else(Span::call_site, TokenTree::span);
    let last = tokens.last().map_or(first, TokenTree::span);
    let krate: TokenStream = krate
        .into_iter()
        .map(|mut token| {
            token.set_span(first);
            token
        })
        .collect();
    let mut arguments = Group::new(Delimiter::Parenthesis, future.to_token_stream());
    arguments.set_span(last);
    quote_spanned!(first=> #krate::awaitlet #arguments)
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

//! A lenient fn parser: the signature is parsed, the body is kept as tokens.
//!
//! Keeping the body unparsed means `#[async_def]` never rejects code that rustc would accept, and
//! every token of it keeps its original span, so rustc's own errors point at the user's code.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Signature, Token, Visibility, braced, token};

/// What `#[async_def]` must be applied to.
pub(crate) const NOT_A_FN: &str = "`#[async_def]` can only be applied to a fn";
/// A fn declaration without a body, as in a trait.
const NO_BODY: &str = "`#[async_def]` needs a fn with a body; in a trait, declare \
                       `async fn` and put `#[async_def]` on the method of each `impl`";

/// A fn item: `#[attrs] vis sig { #![inner_attrs] body }`.
pub(crate) struct ItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) brace_token: token::Brace,
    pub(crate) inner_attrs: Vec<Attribute>,
    pub(crate) body: TokenStream,
}

impl ItemFn {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        Parser::parse2(Self::parse_item, tokens)
    }

    fn parse_item(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.fork().parse::<Signature>().is_err() {
            return Err(syn::Error::new(Span::call_site(), NOT_A_FN));
        }
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            let semi: Token![;] = input.parse()?;
            return Err(syn::Error::new(semi.span, NO_BODY));
        }
        let content;
        let brace_token = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body: TokenStream = content.parse()?;
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            brace_token,
            inner_attrs,
            body,
        })
    }
}

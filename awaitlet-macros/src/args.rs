//! Parsing `#[async_def(...)]` arguments: `stack_size = N`, `assert_await_occurs`, `send`,
//! `crate = path`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, LitBool, Path, Token};

/// What every malformed argument list is told.
const EXPECTED: &str =
    "expected `stack_size = <usize>`, `assert_await_occurs`, `send` or `crate = <path>`";
const STACK_SIZE_FORM: &str = "stack_size = <usize>";
const ASSERT_FORM: &str = "assert_await_occurs = <bool>";
const CRATE_FORM: &str = "crate = <path>";

/// The arguments of one `#[async_def(...)]`.
#[derive(Default)]
pub(crate) struct AsyncDefArgs {
    /// `stack_size = <const expr>`: usable bytes of the coroutine stack.
    pub(crate) stack_size: Option<Expr>,
    /// `assert_await_occurs` (or `= true` / `= false`).
    pub(crate) assert_await_occurs: bool,
    /// `send`: the body runs on a pool thread, and the future is `Send`. The span of the word.
    pub(crate) send: Option<Span>,
    /// `crate = path`: where the `awaitlet` crate is, when re-exported or renamed.
    pub(crate) krate: Option<Path>,
}

impl AsyncDefArgs {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        Parser::parse2(Self::parse_list, tokens)
    }

    fn parse_list(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = AsyncDefArgs::default();
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let (name, span) = if input.peek(Token![crate]) {
                let token: Token![crate] = input.parse()?;
                ("crate".to_string(), token.span)
            } else {
                let ident: Ident = input
                    .parse()
                    .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
                (ident.to_string(), ident.span())
            };
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    span,
                    format!("duplicate `{name}` argument to `#[async_def]`; give it once"),
                ));
            }
            match name.as_str() {
                "stack_size" => {
                    let eq = expect_eq(input, span, STACK_SIZE_FORM)?;
                    if input.is_empty() || input.peek(Token![,]) {
                        return Err(syn::Error::new(eq, format!("expected `{STACK_SIZE_FORM}`")));
                    }
                    args.stack_size = Some(input.parse()?);
                }
                "assert_await_occurs" => {
                    args.assert_await_occurs = if input.peek(Token![=]) {
                        input.parse::<Token![=]>()?;
                        let value = input.parse::<LitBool>();
                        value.map_err(|error| reword(error, ASSERT_FORM))?.value
                    } else {
                        true
                    };
                }
                "send" => {
                    if input.peek(Token![=]) {
                        let eq: Token![=] = input.parse()?;
                        return Err(syn::Error::new(
                            eq.span,
                            "`send` takes no value; write `#[async_def(send)]`",
                        ));
                    }
                    args.send = Some(span);
                }
                "crate" => {
                    expect_eq(input, span, CRATE_FORM)?;
                    let path = input.call(Path::parse_mod_style);
                    args.krate = Some(path.map_err(|error| reword(error, CRATE_FORM))?);
                }
                other => {
                    return Err(syn::Error::new(
                        span,
                        format!("unknown argument `{other}` to `#[async_def]`; {EXPECTED}"),
                    ));
                }
            }
            seen.push(name);
            if !input.is_empty() {
                input.parse::<Token![,]>().map_err(|error| {
                    syn::Error::new(
                        error.span(),
                        "expected `,` between `#[async_def]` arguments",
                    )
                })?;
            }
        }
        Ok(args)
    }
}

/// Parses the `=` after an argument name, returning its span.
fn expect_eq(input: ParseStream<'_>, name: Span, form: &str) -> syn::Result<Span> {
    if input.peek(Token![=]) {
        Ok(input.parse::<Token![=]>()?.span)
    } else {
        Err(syn::Error::new(name, format!("expected `{form}`")))
    }
}

/// Keeps syn's span but says which form was expected.
fn reword(error: syn::Error, form: &str) -> syn::Error {
    syn::Error::new(error.span(), format!("expected `{form}`"))
}

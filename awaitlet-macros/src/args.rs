//! Parsing `#[async_def(...)]` arguments: `stack_size = N`, `assert_await_occurs`, `crate = path`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, LitBool, Path, Token};

/// What every malformed argument list is told.
const EXPECTED: &str = "expected `stack_size = <usize>`, `assert_await_occurs` or `crate = <path>`";

/// The arguments of one `#[async_def(...)]`.
#[derive(Default)]
pub(crate) struct AsyncDefArgs {
    /// `stack_size = <const expr>`: usable bytes of the coroutine stack.
    pub(crate) stack_size: Option<Expr>,
    /// `assert_await_occurs` (or `= true` / `= false`).
    pub(crate) assert_await_occurs: bool,
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
                    expect_eq(input, span, "stack_size = <usize>")?;
                    args.stack_size = Some(input.parse()?);
                }
                "assert_await_occurs" => {
                    args.assert_await_occurs = if input.peek(Token![=]) {
                        input.parse::<Token![=]>()?;
                        input.parse::<LitBool>()?.value
                    } else {
                        true
                    };
                }
                "crate" => {
                    expect_eq(input, span, "crate = <path>")?;
                    args.krate = Some(input.call(Path::parse_mod_style)?);
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
                    syn::Error::new(error.span(), format!("expected `,`; {EXPECTED}"))
                })?;
            }
        }
        Ok(args)
    }
}

fn expect_eq(input: ParseStream<'_>, name: Span, form: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>().map(drop)
    } else {
        Err(syn::Error::new(name, format!("expected `{form}`")))
    }
}

//! `#[async_def]`: parse → validate → expand, and the best-effort output when validation fails.
//!
//! ```ignore
//! #[async_def(stack_size = 65536)]
//! fn api(n: u32) -> io::Result<u32> { body }
//! // becomes
//! async fn api(n: u32) -> io::Result<u32> {
//!     ::awaitlet::__private::builder().stack_size(65536)   // = Builder::new().stack_size(..)
//!         .async_def(move || -> io::Result<u32> { body }).await
//! }
//! ```
//!
//! On an `async fn`, the body becomes an `async move` block polled in a portal, where `.await`
//! and `awaitlet!` both work:
//!
//! ```ignore
//! #[async_def]
//! async fn api(n: u32) -> io::Result<u32> { body }
//! // becomes
//! async fn api(n: u32) -> io::Result<u32> {
//!     ::awaitlet::__private::builder()
//!         .portal(::awaitlet::__private::returns::<io::Result<u32>, _>(async move { body }))
//!         .await
//! }
//! ```
//!
//! Only `asyncness` changes in the signature (plus implied `'static` bounds, see
//! [`require_static`]); every other token keeps the user's span. The body becomes a `move`
//! closure, so `return` and `?` keep their meaning and the arguments move onto the coroutine.
//!
//! With `send`, the closure goes to a pool thread instead (see [`expand_send`]):
//!
//! ```ignore
//! #[async_def(send)]
//! fn api(mut n: u32) -> u32 { body }
//! // becomes
//! async fn api(n: u32) -> u32 {
//!     use ::awaitlet::__private as __awaitlet_private;
//!     let n = __awaitlet_private::sendable(n);         // "needs `Send` arguments", at `n`
//!     __awaitlet_private::spawn_send((), __awaitlet_private::builder(), move || -> u32 {
//!         let mut n = __awaitlet_private::Sendable::into_inner(n);
//!         body
//!     })
//!     .await
//! }
//! ```

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{
    FnArg, Ident, Lifetime, ParenthesizedGenericArguments, PatIdent, Path, PredicateType,
    ReturnType, Signature, Token, Type, TypeBareFn, TypeImplTrait, TypeParamBound, WherePredicate,
    parse_quote_spanned,
};

use crate::args::AsyncDefArgs;
use crate::item::ItemFn;
use crate::validate::{is_async_def, validate};

/// The whole attribute: never returns only an error (see [`fallback`]).
pub(crate) fn async_def(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn = match ItemFn::parse(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(error) => return error.to_compile_error().into_iter().chain(item).collect(),
    };
    let args = AsyncDefArgs::parse(args);
    let checked = validate(&item_fn, args.as_ref().unwrap_or(&AsyncDefArgs::default()));
    match (args, checked) {
        (Ok(args), Ok(())) => expand(item_fn, args),
        (Err(error), Ok(())) | (Ok(_), Err(error)) => fallback(item_fn, error),
        (Err(mut error), Err(more)) => {
            error.combine(more);
            fallback(item_fn, error)
        }
    }
}

/// Emits the `async fn` that runs the body on a coroutine.
fn expand(item: ItemFn, args: AsyncDefArgs) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        brace_token,
        inner_attrs,
        body,
    } = item;
    // Generated tokens carry the span of the user's body, so that rustc's errors about them (a
    // capture that is not `'static`, a `!Send` future) point at the body, not at the attribute.
    let body_span = brace_token.span.join();
    let krate = args
        .krate
        .unwrap_or_else(|| parse_quote_spanned!(body_span=> ::awaitlet));
    // A `stack_size` of the wrong type is reported at the user's expression.
    let stack_size = args
        .stack_size
        .map(|bytes| quote_spanned!(bytes.span()=> .stack_size(#bytes)));
    let assert_await_occurs = args
        .assert_await_occurs
        .then(|| quote!(.assert_await_occurs(true)));
    let settings = quote!(#stack_size #assert_await_occurs);
    let returns = closure_return_type(&sig.output);
    require_static(&mut sig);
    let run = match (args.send, sig.asyncness) {
        (None, None) => quote_spanned! {body_span=>
            #krate::__private::builder() #settings
                .async_def(move || #returns { #body })
                .await
        },
        (None, Some(_)) => {
            let output = portal_output_type(&sig.output);
            quote_spanned! {body_span=>
                #krate::__private::builder() #settings
                    .portal(#krate::__private::returns::<#output, _>(async move { #body }))
                    .await
            }
        }
        (Some(send), _) => expand_send(&mut sig, send, &krate, settings, returns, body, body_span),
    };
    sig.asyncness = Some(Token![async](sig.fn_token.span));
    let block = braced(body_span, quote!(#(#inner_attrs)* #run));
    quote!(#(#attrs)* #vis #sig #block)
}

/// The statements of an `#[async_def(send)]` fn: the body's closure goes to `spawn_send` (for an
/// `async fn`, a closure that makes the body's future goes to `spawn_send_portal`), and each
/// argument binding reaches it through `sendable`, so that one that is not `Send` is one error, at
/// the argument.
///
/// The argument bindings lose their `mut` in the signature (they are only moved from there) and
/// get it back, with the user's token, where the closure unwraps them. Every path goes through one
/// local alias of the crate's `__private` module, so that a wrong `crate = path` is reported once.
fn expand_send(
    sig: &mut Signature,
    send: Span,
    krate: &Path,
    settings: TokenStream,
    returns: Option<TokenStream>,
    body: TokenStream,
    body_span: Span,
) -> TokenStream {
    let private =
        |span: Span| Ident::new("__awaitlet_private", Span::mixed_site().located_at(span));
    let alias = private(body_span);
    let bindings = take_bindings(sig);
    let check = bindings.iter().map(|Binding { ident, .. }| {
        let private = private(ident.span());
        quote_spanned!(ident.span()=> let #ident = #private::sendable(#ident);)
    });
    let unwrap = bindings.iter().map(|Binding { mutability, ident }| {
        quote_spanned!(body_span=> let #mutability #ident = #alias::Sendable::into_inner(#ident);)
    });
    // The call is spanned at the return type, where "needs a `Send` return type" belongs. The
    // `()` it starts with stands for `send` itself, where a missing `tokio` feature is reported.
    let output = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => send,
    };
    let spawn = private(output);
    let marker = quote_spanned!(send=> ());
    let call = if sig.asyncness.is_some() {
        // The closure makes the body's future on the pool thread; only the closure is `Send`.
        let future_output = portal_output_type(&sig.output);
        quote_spanned! {output=>
            #spawn::spawn_send_portal(#marker, #alias::builder() #settings, move || {
                #(#unwrap)*
                #alias::returns::<#future_output, _>(async move { #body })
            })
        }
    } else {
        quote_spanned! {output=>
            #spawn::spawn_send(#marker, #alias::builder() #settings, move || #returns { #(#unwrap)* #body })
        }
    };
    quote_spanned! {body_span=>
        use #krate::__private as #alias;
        #(#check)*
        #call.await
    }
}

/// An argument binding of the signature, which the body's closure must receive.
struct Binding {
    mutability: Option<Token![mut]>,
    ident: Ident,
}

/// The bindings of every typed argument's pattern, taking their `mut` away.
fn take_bindings(sig: &mut Signature) -> Vec<Binding> {
    struct Bindings(Vec<Binding>);
    impl VisitMut for Bindings {
        fn visit_pat_ident_mut(&mut self, pat: &mut PatIdent) {
            self.0.push(Binding {
                mutability: pat.mutability.take(),
                ident: pat.ident.clone(),
            });
            visit_mut::visit_pat_ident_mut(self, pat);
        }
    }
    let mut bindings = Bindings(Vec::new());
    for input in &mut sig.inputs {
        if let FnArg::Typed(arg) = input {
            bindings.visit_pat_mut(&mut arg.pat);
        }
    }
    bindings.0
}

/// A `{ .. }` block with the span of the user's braces. rustc takes a fn whose body braces come
/// from a macro for generated code and skips lints such as `dead_code` on it.
fn braced(span: Span, tokens: TokenStream) -> Group {
    let mut group = Group::new(Delimiter::Brace, tokens);
    group.set_span(span);
    group
}

/// The error, then the fn as a plain `async fn` with its body untouched, so that callers'
/// `.await`s and IDE completion don't cascade into secondary errors.
pub(crate) fn fallback(item: ItemFn, error: syn::Error) -> TokenStream {
    let ItemFn {
        mut attrs,
        vis,
        mut sig,
        brace_token,
        inner_attrs,
        body,
    } = item;
    // A second `#[async_def]` was reported; expanding it too would only repeat errors.
    attrs.retain(|attr| !is_async_def(attr));
    sig.asyncness = Some(Token![async](sig.fn_token.span));
    sig.constness = None;
    sig.abi = None;
    sig.variadic = None;
    let error = error.to_compile_error();
    let block = braced(brace_token.span.join(), quote!(#(#inner_attrs)* #body));
    quote!(#error #(#attrs)* #vis #sig #block)
}

/// `-> R` for the body closure, so `?` and `return` infer as in the original fn.
///
/// Left out when the fn returns `()` (the closure infers it) or an `impl Trait`, which cannot be
/// written on a closure (the async fn's own return type still constrains it).
fn closure_return_type(output: &ReturnType) -> Option<TokenStream> {
    match output {
        ReturnType::Type(arrow, ty) if !ImplTraits::any(ty) => Some(quote!(#arrow #ty)),
        _ => None,
    }
}

/// The output type of an `async fn` body's future, for `returns::<R, _>`, which tells rustc the
/// type the body's `async` block returns (an `async` block cannot be annotated like a closure),
/// so that `?` converts errors as it does in the fn. `_` for an `impl Trait` output, which cannot
/// be named there (the fn's own return type still constrains it).
fn portal_output_type(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Type(_, ty) if !ImplTraits::any(ty) => quote!(#ty),
        ReturnType::Type(..) => quote!(_),
        ReturnType::Default => quote!(()),
    }
}

/// Adds the `'static` bounds the coroutine needs: `T: 'static` for each type parameter, and
/// `+ 'static` on each `impl Trait` argument. Without them, generic code would fail with "may not
/// live long enough" at the closure, far from anything the user wrote.
fn require_static(sig: &mut Signature) {
    // Bounds in the `where` clause, by the name of the type they bound.
    let in_where_clause: Vec<Ident> = sig
        .generics
        .where_clause
        .iter()
        .flat_map(|clause| &clause.predicates)
        .filter_map(|predicate| match predicate {
            WherePredicate::Type(PredicateType {
                bounded_ty: Type::Path(path),
                ..
            }) => path.path.get_ident().cloned(),
            _ => None,
        })
        .collect();
    let mut where_bounds: Vec<WherePredicate> = Vec::new();
    for param in sig.generics.type_params_mut() {
        // Located at the parameter, so "introduced here" points at it, but with the macro's
        // hygiene: rustc then reports the bound as coming from `#[async_def]`, and leaves it out
        // when it suggests where to add one (after the user's last bound, or after a colon).
        let ident = &param.ident;
        let span = Span::call_site().located_at(ident.span());
        let bound: TypeParamBound = parse_quote_spanned!(span=> 'static);
        // Next to the bounds the user already wrote, so as not to split them between two places
        // (clippy's `multiple_bound_locations`).
        if in_where_clause.contains(ident) || param.bounds.is_empty() {
            where_bounds.push(parse_quote_spanned!(ident.span()=> #ident: #bound));
        } else {
            param.bounds.push(bound);
        }
    }
    if !where_bounds.is_empty() {
        sig.generics
            .make_where_clause()
            .predicates
            .extend(where_bounds);
    }
    for input in &mut sig.inputs {
        if let FnArg::Typed(arg) = input {
            StaticImplTraits.visit_type_mut(&mut arg.ty);
        }
    }
}

/// Appends `+ 'static` to `impl Trait` types that name no lifetime bound of their own.
struct StaticImplTraits;

impl VisitMut for StaticImplTraits {
    fn visit_type_impl_trait_mut(&mut self, ty: &mut TypeImplTrait) {
        visit_mut::visit_type_impl_trait_mut(self, ty);
        let has_lifetime = ty
            .bounds
            .iter()
            .any(|bound| matches!(bound, TypeParamBound::Lifetime(_)));
        if !has_lifetime {
            ty.bounds.push(TypeParamBound::Lifetime(Lifetime::new(
                "'static",
                ty.impl_token.span,
            )));
        }
    }

    // Inside `Fn(..)` sugar and `fn` pointers the types are not arguments the coroutine captures.
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut ParenthesizedGenericArguments) {
    }

    fn visit_type_bare_fn_mut(&mut self, _: &mut TypeBareFn) {}
}

/// Whether a type mentions `impl Trait` anywhere.
#[derive(Default)]
struct ImplTraits(bool);

impl ImplTraits {
    fn any(ty: &Type) -> bool {
        let mut finder = ImplTraits::default();
        finder.visit_type(ty);
        finder.0
    }
}

impl<'ast> Visit<'ast> for ImplTraits {
    fn visit_type_impl_trait(&mut self, _: &'ast TypeImplTrait) {
        self.0 = true;
    }
}

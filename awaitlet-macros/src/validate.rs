//! The rules an `#[async_def]` fn must follow, one check each, every problem reported at once.

use proc_macro2::Span;
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{
    Attribute, Block, ExprAsync, ExprAwait, ExprClosure, FnArg, GenericParam, Ident, Item,
    Lifetime, ParenthesizedGenericArguments, PatIdent, Signature, TraitBound, Type, TypeBareFn,
    TypePath, TypeReference,
};

use crate::args::AsyncDefArgs;
use crate::item::ItemFn;

const CONST_FN: &str = "`#[async_def]` cannot be applied to a `const fn`";
const EXTERN_FN: &str = "`#[async_def]` cannot be applied to an `extern` fn; remove the ABI";
const VARIADIC_FN: &str = "`#[async_def]` cannot be applied to a variadic fn";
const BORROWED_ARG: &str = "`#[async_def]` arguments must be owned, because the coroutine that \
                            runs the body may outlive a borrow; take an owned value instead, such \
                            as `String` for `&str`, `Vec<T>` for `&[T]`, or `Arc<T>` to share";
const BORROWED_SELF: &str = "`#[async_def]` methods must take an owned receiver, because the \
                             coroutine that runs the body may outlive a borrow; take `self`, \
                             `self: Box<Self>`, `self: Rc<Self>` or `self: Arc<Self>` instead";
const LIFETIME_PARAM: &str = "`#[async_def]` fns cannot have lifetime parameters: their arguments \
                              must be owned, because the coroutine that runs the body may outlive \
                              a borrow; remove the lifetime and take owned values";
const REF_BINDING: &str = "`#[async_def]` arguments must be bound by value, because the coroutine \
                           that runs the body may outlive a borrow of the argument; remove `ref` \
                           and borrow inside the body";
const APPLIED_TWICE: &str = "`#[async_def]` is applied more than once; apply it once";
const RC_RECEIVER_SEND: &str = "`#[async_def(send)]` needs a `Send` receiver, and `Rc<Self>` is \
                                never `Send`: the body runs on another thread; take \
                                `self: Arc<Self>` instead";
const AWAIT: &str = "`.await` cannot be used in an `#[async_def]` fn, whose body is sync code \
                     running on a coroutine; use `awaitlet!(future)` instead, or make it an \
                     `async fn`, whose body runs in a portal";

/// Checks `item` against every rule, returning all the problems found combined into one error.
pub(crate) fn validate(item: &ItemFn, args: &AsyncDefArgs) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_attributes(item, &mut errors);
    check_qualifiers(&item.sig, &mut errors);
    check_generics(&item.sig, &mut errors);
    check_inputs(&item.sig, &mut errors);
    if args.send.is_some() {
        check_send_receiver(&item.sig, &mut errors);
    }
    // An `async fn`'s body runs in a portal, where `.await` is at home.
    if item.sig.asyncness.is_none() {
        check_body(item, &mut errors);
    }
    errors.finish()
}

fn check_attributes(item: &ItemFn, errors: &mut Errors) {
    for attr in item.attrs.iter().filter(|attr| is_async_def(attr)) {
        errors.push_spanned(attr, APPLIED_TWICE);
    }
}

/// Whether `attr` is another `#[async_def]` (by its last path segment, however it was imported).
pub(crate) fn is_async_def(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "async_def")
}

fn check_qualifiers(sig: &Signature, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.push(token.span, CONST_FN);
    }
    match (&sig.variadic, &sig.abi) {
        // A variadic fn must be `extern "C"`: the ABI is not the problem to fix.
        (Some(variadic), _) => errors.push_spanned(variadic.dots, VARIADIC_FN),
        (None, Some(abi)) => errors.push_spanned(abi, EXTERN_FN),
        (None, None) => {}
    }
}

fn check_generics(sig: &Signature, errors: &mut Errors) {
    for param in &sig.generics.params {
        if let GenericParam::Lifetime(param) = param {
            errors.push(param.lifetime.span(), LIFETIME_PARAM);
        }
    }
}

fn check_inputs(sig: &Signature, errors: &mut Errors) {
    // Lifetime parameters are reported where they are declared, not again at each use.
    let declared: Vec<&Ident> = sig
        .generics
        .lifetimes()
        .map(|param| &param.lifetime.ident)
        .collect();
    let borrows = |ty: &Type| {
        let mut finder = Borrows {
            declared: &declared,
            found: Vec::new(),
        };
        finder.visit_type(ty);
        finder.found
    };
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                if let Some((and, _)) = &receiver.reference {
                    errors.push(and.span, BORROWED_SELF);
                } else if receiver.colon_token.is_some() {
                    // `self: &Self`, `self: Pin<&mut Self>`: the borrow is in the type.
                    if let Some(span) = borrows(&receiver.ty).first() {
                        errors.push(*span, BORROWED_SELF);
                    }
                }
            }
            FnArg::Typed(arg) => {
                for span in borrows(&arg.ty) {
                    errors.push(span, BORROWED_ARG);
                }
                let mut refs = RefBindings::default();
                refs.visit_pat(&arg.pat);
                for span in refs.0 {
                    errors.push(span, REF_BINDING);
                }
            }
        }
    }
}

/// `self: Rc<Self>` can be told from its tokens. Any other receiver that is not `Send` is reported
/// by rustc at the body's closure, which captures it.
fn check_send_receiver(sig: &Signature, errors: &mut Errors) {
    let Some(FnArg::Receiver(receiver)) = sig.inputs.first() else {
        return;
    };
    if receiver.colon_token.is_none() {
        return;
    }
    let is_rc = |path: &TypePath| {
        path.qself.is_none()
            && path
                .path
                .segments
                .last()
                .is_some_and(|last| last.ident == "Rc")
    };
    if let Type::Path(path) = &*receiver.ty
        && is_rc(path)
    {
        errors.push_spanned(&receiver.ty, RC_RECEIVER_SEND);
    }
}

fn check_body(item: &ItemFn, errors: &mut Errors) {
    // A body that does not parse is left for rustc to report, in its own words.
    let Ok(stmts) = syn::parse::Parser::parse2(Block::parse_within, item.body.clone()) else {
        return;
    };
    let mut finder = Awaits::default();
    for stmt in &stmts {
        finder.visit_stmt(stmt);
    }
    for span in finder.0 {
        errors.push(span, AWAIT);
    }
}

/// Finds the borrows in an argument type: references and lifetimes other than `'static`.
///
/// Higher-ranked lifetimes are not borrows the coroutine could outlive, so `fn(&str)`,
/// `impl Fn(&str)` and `for<'a> ...` bounds are skipped, and so are the fn's own lifetime
/// parameters, which are reported at their declaration.
struct Borrows<'a> {
    declared: &'a [&'a Ident],
    found: Vec<Span>,
}

impl<'ast> Visit<'ast> for Borrows<'_> {
    fn visit_type_reference(&mut self, reference: &'ast TypeReference) {
        match &reference.lifetime {
            // Whatever a `&'static` refers to outlives `'static` too (it must, to be well formed).
            Some(lifetime) if lifetime.ident == "static" => {}
            _ => self.found.push(reference.and_token.span),
        }
    }

    fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
        if lifetime.ident != "static" && !self.declared.contains(&&lifetime.ident) {
            self.found.push(lifetime.span());
        }
    }

    fn visit_type_bare_fn(&mut self, _: &'ast TypeBareFn) {}

    fn visit_parenthesized_generic_arguments(&mut self, _: &'ast ParenthesizedGenericArguments) {}

    fn visit_trait_bound(&mut self, bound: &'ast TraitBound) {
        if bound.lifetimes.is_none() {
            visit::visit_trait_bound(self, bound);
        }
    }
}

/// Finds `ref` and `ref mut` bindings in an argument pattern.
#[derive(Default)]
struct RefBindings(Vec<Span>);

impl<'ast> Visit<'ast> for RefBindings {
    fn visit_pat_ident(&mut self, pat: &'ast PatIdent) {
        if let Some(by_ref) = &pat.by_ref {
            self.0.push(by_ref.span);
        }
        syn::visit::visit_pat_ident(self, pat);
    }
}

/// Finds `.await` in the body itself. Async blocks, async closures and nested items may use it;
/// in a plain closure rustc's own error says it all.
#[derive(Default)]
struct Awaits(Vec<Span>);

impl<'ast> Visit<'ast> for Awaits {
    fn visit_expr_await(&mut self, expr: &'ast ExprAwait) {
        self.0.push(expr.await_token.span);
        self.visit_expr(&expr.base);
    }

    fn visit_expr_async(&mut self, _: &'ast ExprAsync) {}

    fn visit_expr_closure(&mut self, _: &'ast ExprClosure) {}

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Independent problems, reported together (serde's `Ctxt`).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: &str) {
        self.add(syn::Error::new(span, message));
    }

    /// Spans all of `tokens` (first to last token), for problems wider than one token.
    fn push_spanned(&mut self, tokens: impl ToTokens, message: &str) {
        self.add(syn::Error::new_spanned(tokens, message));
    }

    fn add(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

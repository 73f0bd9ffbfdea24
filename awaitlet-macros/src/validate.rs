//! The rules an `#[async_def]` fn must follow, one check each, every problem reported at once.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    Block, ExprAsync, ExprAwait, ExprClosure, FnArg, GenericParam, Item, Lifetime,
    ParenthesizedGenericArguments, Receiver, Signature, TraitBound, TypeBareFn, TypeReference,
};

use crate::item::ItemFn;

const ASYNC_FN: &str = "`#[async_def]` expects a non-async fn; remove `async`";
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
const AWAIT: &str = "`.await` cannot be used in an `#[async_def]` fn, whose body is sync code \
                     running on a coroutine; use `awaitlet!(future)` instead";

/// Checks `item` against every rule, returning all the problems found combined into one error.
pub(crate) fn validate(item: &ItemFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_qualifiers(&item.sig, &mut errors);
    check_generics(&item.sig, &mut errors);
    check_inputs(&item.sig, &mut errors);
    check_body(item, &mut errors);
    errors.finish()
}

fn check_qualifiers(sig: &Signature, errors: &mut Errors) {
    if let Some(token) = &sig.asyncness {
        errors.push(token.span, ASYNC_FN);
    }
    if let Some(token) = &sig.constness {
        errors.push(token.span, CONST_FN);
    }
    if let Some(abi) = &sig.abi {
        errors.push(abi.span(), EXTERN_FN);
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(variadic.dots.spans[0], VARIADIC_FN);
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
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => check_receiver(receiver, errors),
            FnArg::Typed(arg) => {
                for span in Borrows::find(|finder| finder.visit_type(&arg.ty)) {
                    errors.push(span, BORROWED_ARG);
                }
            }
        }
    }
}

fn check_receiver(receiver: &Receiver, errors: &mut Errors) {
    if let Some((and, _)) = &receiver.reference {
        errors.push(and.span, BORROWED_SELF);
    } else if receiver.colon_token.is_some() {
        // `self: &Self`, `self: Pin<&mut Self>`, `self: Rc<Foo<'a>>`: the borrow is in the type.
        if let Some(span) = Borrows::find(|finder| finder.visit_type(&receiver.ty)).first() {
            errors.push(*span, BORROWED_SELF);
        }
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
/// `impl Fn(&str)` and `for<'a> ...` bounds are skipped.
#[derive(Default)]
struct Borrows(Vec<Span>);

impl Borrows {
    fn find(visit: impl FnOnce(&mut Self)) -> Vec<Span> {
        let mut finder = Borrows::default();
        visit(&mut finder);
        finder.0
    }
}

impl<'ast> Visit<'ast> for Borrows {
    fn visit_type_reference(&mut self, reference: &'ast TypeReference) {
        match &reference.lifetime {
            Some(lifetime) if lifetime.ident == "static" => self.visit_type(&reference.elem),
            _ => self.0.push(reference.and_token.span),
        }
    }

    fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
        if lifetime.ident != "static" {
            self.0.push(lifetime.span());
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

/// Finds `.await` in the body itself, not in the async blocks, async closures or items inside it,
/// where it is legal.
#[derive(Default)]
struct Awaits(Vec<Span>);

impl<'ast> Visit<'ast> for Awaits {
    fn visit_expr_await(&mut self, expr: &'ast ExprAwait) {
        self.0.push(expr.await_token.span);
        self.visit_expr(&expr.base);
    }

    fn visit_expr_async(&mut self, _: &'ast ExprAsync) {}

    fn visit_expr_closure(&mut self, closure: &'ast ExprClosure) {
        if closure.asyncness.is_none() {
            visit::visit_expr_closure(self, closure);
        }
    }

    fn visit_item(&mut self, _: &'ast Item) {}
}

/// Independent problems, reported together (serde's `Ctxt`).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: &str) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

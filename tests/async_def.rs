//! Signature coverage of `#[async_def]`: every kind of fn the contract lists becomes an async fn
//! with the same parameters, whose body runs on a coroutine where `awaitlet!` can suspend.
//!
//! Every body awaits a future that is really pending (`pending_then`), so each test also checks
//! that the coroutine suspends and resumes in that signature, not just that it compiles.

mod common;

use std::borrow::Cow;
use std::error::Error;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::num::ParseIntError;
use std::rc::Rc;
use std::sync::Arc;

use awaitlet::{async_def, awaitlet};
use futures::executor::block_on;

use common::{DropLog, pending_then, yield_now};

/// A plain sync helper, as the middle layer of a ported program would be.
fn fetch(value: u32) -> u32 {
    awaitlet!(pending_then(2, value))
}

// ---------------------------------------------------------------------------------------------
// Free fns

#[async_def]
fn add(a: u32, b: u32) -> u32 {
    fetch(a) + fetch(b)
}

#[test]
fn free_fn() {
    assert_eq!(block_on(add(2, 3)), 5);
}

#[async_def]
fn no_arguments() -> &'static str {
    awaitlet!(pending_then(1, "none"))
}

#[test]
fn free_fn_without_arguments() {
    assert_eq!(block_on(no_arguments()), "none");
}

#[async_def]
pub(crate) fn with_visibility(n: u32) -> u32 {
    fetch(n) * 2
}

#[test]
fn visibility_is_kept() {
    assert_eq!(block_on(with_visibility(21)), 42);
}

// ---------------------------------------------------------------------------------------------
// Inherent methods with owned receivers

#[derive(Debug, Clone, PartialEq)]
struct Account {
    balance: u32,
}

impl Account {
    #[async_def]
    fn new_async(balance: u32) -> Self {
        Account {
            balance: fetch(balance),
        }
    }

    #[async_def]
    fn balance(self) -> u32 {
        fetch(self.balance)
    }

    #[async_def]
    fn deposit(mut self, amount: u32) -> Self {
        self.balance += fetch(amount);
        self
    }

    #[async_def]
    fn boxed(self: Box<Self>) -> u32 {
        fetch(self.balance) + 1
    }

    #[async_def]
    fn shared(self: Rc<Self>) -> u32 {
        fetch(self.balance) + 2
    }

    #[async_def]
    fn atomic_shared(self: Arc<Self>) -> u32 {
        fetch(self.balance) + 3
    }
}

#[test]
fn associated_fn_returning_self() {
    assert_eq!(block_on(Account::new_async(7)), Account { balance: 7 });
}

#[test]
fn method_taking_self() {
    assert_eq!(block_on(Account { balance: 10 }.balance()), 10);
}

#[test]
fn method_taking_mut_self() {
    let account = block_on(Account { balance: 10 }.deposit(5));
    assert_eq!(account.balance, 15);
}

#[test]
fn method_taking_box_self() {
    assert_eq!(block_on(Box::new(Account { balance: 10 }).boxed()), 11);
}

#[test]
fn method_taking_rc_self() {
    let account = Rc::new(Account { balance: 10 });
    assert_eq!(block_on(Rc::clone(&account).shared()), 12);
    // The coroutine's clone of the `Rc` was released when the body finished.
    assert_eq!(Rc::strong_count(&account), 1);
}

#[test]
fn method_taking_arc_self() {
    let account = Arc::new(Account { balance: 10 });
    assert_eq!(block_on(Arc::clone(&account).atomic_shared()), 13);
    assert_eq!(Arc::strong_count(&account), 1);
}

/// Impl-level type parameters are the user's to bound with `'static`.
struct Wrapper<T>(T);

impl<T: Display + 'static> Wrapper<T> {
    #[async_def]
    fn show(self, suffix: String) -> String {
        awaitlet!(yield_now());
        format!("{}{suffix}", self.0)
    }
}

#[test]
fn method_of_generic_impl() {
    assert_eq!(block_on(Wrapper(5).show("!".into())), "5!");
}

// ---------------------------------------------------------------------------------------------
// Trait impls

/// A trait declaring `async fn`s; `#[async_def]` methods must satisfy it.
trait Store {
    async fn get(self, key: String) -> Option<u32>;
    async fn get_shared(self: Rc<Self>, key: String) -> Option<u32>;
}

struct MemoryStore {
    entries: Vec<(String, u32)>,
}

impl Store for MemoryStore {
    #[async_def]
    fn get(self, key: String) -> Option<u32> {
        let value = self.entries.iter().find(|(k, _)| *k == key)?.1;
        Some(fetch(value))
    }

    #[async_def]
    fn get_shared(self: Rc<Self>, key: String) -> Option<u32> {
        let value = self.entries.iter().find(|(k, _)| *k == key)?.1;
        Some(fetch(value))
    }
}

fn store() -> MemoryStore {
    MemoryStore {
        entries: vec![("a".into(), 1), ("b".into(), 2)],
    }
}

/// Generic over the trait: proves the impl really satisfies it, not just that it compiles.
async fn lookup<S: Store>(store: S, key: &str) -> Option<u32> {
    store.get(key.to_string()).await
}

#[test]
fn trait_impl_of_async_fn() {
    assert_eq!(block_on(lookup(store(), "b")), Some(2));
    assert_eq!(block_on(lookup(store(), "z")), None);
    assert_eq!(block_on(Rc::new(store()).get_shared("a".into())), Some(1));
}

/// A trait declaring `fn .. -> impl Future`, the desugared form of `async fn`.
trait Resolve {
    fn resolve(self, name: String) -> impl Future<Output = String>;
}

struct Resolver {
    domain: String,
}

impl Resolve for Resolver {
    #[async_def]
    fn resolve(self, name: String) -> String {
        awaitlet!(yield_now());
        format!("{name}.{}", self.domain)
    }
}

async fn resolve_with<R: Resolve>(resolver: R, name: &str) -> String {
    resolver.resolve(name.to_string()).await
}

#[test]
fn trait_impl_of_fn_returning_impl_future() {
    let resolver = Resolver {
        domain: "example".into(),
    };
    assert_eq!(block_on(resolve_with(resolver, "www")), "www.example");
}

/// A trait with an `#[async_def]` default method: its body runs on a coroutine too.
trait Greet: Sized + 'static {
    fn name(&self) -> String;

    #[async_def]
    fn greet(self) -> String {
        awaitlet!(yield_now());
        format!("hello, {}", self.name())
    }
}

struct World;

impl Greet for World {
    fn name(&self) -> String {
        "world".into()
    }
}

#[test]
fn trait_default_method() {
    assert_eq!(block_on(World.greet()), "hello, world");
}

// ---------------------------------------------------------------------------------------------
// Generics

// The implied `T: 'static` joins the inline bounds, so clippy's `multiple_bound_locations` stays
// quiet: the user wrote bounds in one place only.
#[async_def]
fn largest<T: PartialOrd + Copy>(items: Vec<T>) -> Option<T> {
    let mut best: Option<T> = None;
    for item in items {
        let item = awaitlet!(pending_then(1, item));
        if best.is_none_or(|b| item > b) {
            best = Some(item);
        }
    }
    best
}

#[async_def]
fn describe<T, U>(t: T, u: U) -> String
where
    T: Display,
    U: Debug + Clone,
{
    let u = awaitlet!(pending_then(1, u.clone()));
    format!("{t} {u:?}")
}

#[async_def]
fn make_default<T>() -> T
where
    T: Default,
{
    awaitlet!(yield_now());
    T::default()
}

#[async_def]
fn sum_array<const N: usize>(values: [u32; N]) -> u32 {
    values.into_iter().map(fetch).sum()
}

#[test]
fn generics_with_bounds() {
    assert_eq!(block_on(largest(vec![3, 9, 4])), Some(9));
    assert_eq!(block_on(largest(vec!['a', 'c', 'b'])), Some('c'));
    assert_eq!(block_on(largest::<u8>(vec![])), None);
}

#[test]
fn generics_with_where_clause() {
    assert_eq!(block_on(describe(1.5, vec!["x"])), "1.5 [\"x\"]");
}

#[test]
fn generics_named_by_turbofish() {
    assert_eq!(block_on(make_default::<String>()), "");
    assert_eq!(block_on(make_default::<Vec<u8>>()), Vec::<u8>::new());
}

#[test]
fn const_generics() {
    assert_eq!(block_on(sum_array([1, 2, 3, 4])), 10);
}

// ---------------------------------------------------------------------------------------------
// impl Trait, pattern, mut and 'static-borrow arguments

#[async_def]
fn apply(f: impl Fn(u32) -> u32, x: impl Into<u32>) -> u32 {
    f(fetch(x.into()))
}

#[async_def]
fn total_len(words: impl IntoIterator<Item = String>, measure: impl Fn(&str) -> usize) -> usize {
    words
        .into_iter()
        .map(|w| awaitlet!(pending_then(1, measure(&w))))
        .sum()
}

#[async_def]
fn join_all_displays(items: Vec<impl Display>) -> String {
    awaitlet!(yield_now());
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn impl_trait_arguments() {
    assert_eq!(block_on(apply(|n| n * 3, 7u8)), 21);
    let words = vec!["ab".to_string(), "cde".to_string()];
    assert_eq!(block_on(total_len(words, str::len)), 5);
    assert_eq!(block_on(join_all_displays(vec![1, 2, 3])), "1,2,3");
}

#[derive(Debug, Clone, Copy)]
struct Point {
    x: i32,
    y: i32,
}

#[async_def]
fn pair_sum((a, b): (u32, u32)) -> u32 {
    fetch(a) + b
}

#[async_def]
fn manhattan(Point { x, y }: Point, [dx, dy]: [i32; 2]) -> i32 {
    awaitlet!(yield_now());
    (x + dx).abs() + (y + dy).abs()
}

#[async_def]
fn countdown(mut n: u32, (mut steps, label): (u32, String)) -> String {
    while n > 0 {
        n -= awaitlet!(pending_then(1, 1));
        steps += 1;
    }
    format!("{label}: {steps}")
}

#[test]
fn pattern_arguments() {
    assert_eq!(block_on(pair_sum((4, 5))), 9);
    assert_eq!(block_on(manhattan(Point { x: 1, y: -5 }, [2, 1])), 7);
}

#[test]
fn mut_arguments() {
    assert_eq!(block_on(countdown(3, (10, "steps".into()))), "steps: 13");
}

#[async_def]
fn static_borrows(name: &'static str, greeting: Cow<'static, str>, list: &'static [u32]) -> String {
    let total: u32 = list.iter().map(|&n| fetch(n)).sum();
    format!("{greeting}, {name}: {total}")
}

#[async_def]
fn fn_pointer_and_boxed_closure(
    pointer: fn(&str) -> usize,
    boxed: Box<dyn Fn(&str) -> String>,
) -> String {
    let n = awaitlet!(pending_then(1, pointer("four")));
    boxed(&n.to_string())
}

#[test]
fn static_borrow_arguments() {
    let out = block_on(static_borrows("ann", Cow::Borrowed("hi"), &[1, 2]));
    assert_eq!(out, "hi, ann: 3");
}

#[test]
fn fn_pointer_arguments_with_higher_ranked_borrows() {
    let out = block_on(fn_pointer_and_boxed_closure(
        str::len,
        Box::new(|s| format!("<{s}>")),
    ));
    assert_eq!(out, "<4>");
}

/// An argument the body never names still lives until the body has returned, as in `async fn`.
#[async_def]
fn hold_guard(_guard: common::Logged, log: DropLog) -> Vec<String> {
    awaitlet!(yield_now());
    log.entries()
}

#[test]
fn unused_argument_lives_until_the_body_returns() {
    let log = DropLog::new();
    let seen_by_body = block_on(hold_guard(log.guard("guard"), log.clone()));
    assert!(
        seen_by_body.is_empty(),
        "dropped too early: {seen_by_body:?}"
    );
    assert_eq!(log.entries(), ["guard"]);
}

// ---------------------------------------------------------------------------------------------
// `?` and early `return`

#[async_def]
fn parse_sum(a: String, b: String) -> Result<u32, ParseIntError> {
    let a: u32 = awaitlet!(pending_then(1, a)).parse()?;
    if a == 0 {
        return Ok(0);
    }
    let b: u32 = b.parse()?;
    Ok(a + fetch(b))
}

/// `?` converts errors with `From`, as in the original fn.
#[async_def]
fn parse_boxed(text: String) -> Result<u32, Box<dyn Error>> {
    awaitlet!(yield_now());
    let n: u32 = text.trim().parse()?;
    if n > 100 {
        return Err(format!("{n} is too large").into());
    }
    Ok(n)
}

#[async_def]
fn first_char_code(text: String) -> Option<u32> {
    let c = awaitlet!(pending_then(1, text)).chars().next()?;
    Some(c as u32)
}

#[test]
fn question_mark_and_early_return() {
    assert_eq!(block_on(parse_sum("2".into(), "3".into())), Ok(5));
    assert_eq!(block_on(parse_sum("0".into(), "junk".into())), Ok(0));
    assert!(block_on(parse_sum("x".into(), "3".into())).is_err());
    assert!(block_on(parse_sum("1".into(), "y".into())).is_err());

    assert_eq!(block_on(parse_boxed(" 42 ".into())).unwrap(), 42);
    assert_eq!(
        block_on(parse_boxed("101".into())).unwrap_err().to_string(),
        "101 is too large"
    );
    assert!(block_on(parse_boxed("nope".into())).is_err());

    assert_eq!(block_on(first_char_code("A".into())), Some(65));
    assert_eq!(block_on(first_char_code(String::new())), None);
}

// ---------------------------------------------------------------------------------------------
// Attributes

/// Doc comments are kept (the edition-2021 crate checks them under `#![deny(missing_docs)]`).
#[inline]
#[allow(clippy::needless_return)]
#[async_def]
fn with_outer_attributes(n: u32) -> u32 {
    return fetch(n);
}

#[async_def]
fn with_inner_attributes(n: u32) -> u32 {
    #![allow(unused_variables)]
    // Would fail the `-D warnings` clippy run if the inner attribute were dropped.
    let unused = n;
    fetch(n)
}

// If `#[cfg]` were not kept, this would be a second definition of `configured` and not compile.
#[cfg(not(test))]
#[async_def]
fn configured() -> u32 {
    compile_error!("cfg'd out")
}

#[cfg(test)]
#[async_def]
fn configured() -> u32 {
    fetch(1)
}

#[test]
fn attributes_are_kept() {
    assert_eq!(block_on(with_outer_attributes(3)), 3);
    assert_eq!(block_on(with_inner_attributes(4)), 4);
    assert_eq!(block_on(configured()), 1);
}

// ---------------------------------------------------------------------------------------------
// Macro arguments

#[async_def(stack_size = 64 * 1024)]
fn small_stack(n: u32) -> u32 {
    fetch(n) + 1
}

/// Recurses until `need` bytes of stack below `base` are in use, whatever the frame sizes of
/// this build, and awaits at the bottom.
fn use_stack(base: usize, need: usize) -> u32 {
    let buffer = [1u8; 16 * 1024];
    let here = std::ptr::from_ref(std::hint::black_box(&buffer)) as usize;
    if base - here >= need {
        return fetch(u32::from(buffer[0]));
    }
    let below = use_stack(base, need);
    below + u32::from(std::hint::black_box(&buffer)[100])
}

/// Uses 3 MiB of stack: more than the 1 MiB default, so it only survives if `stack_size`
/// really reached the coroutine (otherwise it runs into the guard page and the process dies).
#[async_def(stack_size = 8 * 1024 * 1024)]
fn big_stack() -> bool {
    let base = 0u8;
    use_stack(std::ptr::from_ref(&base) as usize, 3 * 1024 * 1024) > 1
}

#[async_def(assert_await_occurs)]
fn asserted(n: u32) -> u32 {
    fetch(n)
}

#[async_def(assert_await_occurs = false)]
fn not_asserted(n: u32) -> u32 {
    n
}

#[async_def(crate = ::awaitlet)]
fn explicit_crate(n: u32) -> u32 {
    fetch(n)
}

#[async_def(stack_size = 128 * 1024, assert_await_occurs, crate = ::awaitlet)]
fn all_arguments(n: u32) -> u32 {
    fetch(n)
}

#[test]
fn stack_size_argument() {
    assert_eq!(block_on(small_stack(1)), 2);
    assert!(block_on(big_stack()));
}

#[test]
fn assert_await_occurs_argument() {
    assert_eq!(block_on(asserted(5)), 5);
    assert_eq!(block_on(not_asserted(6)), 6);
}

#[test]
fn crate_argument() {
    assert_eq!(block_on(explicit_crate(7)), 7);
    assert_eq!(block_on(all_arguments(8)), 8);
}

// ---------------------------------------------------------------------------------------------
// Return types

#[async_def]
fn returns_unit(log: DropLog, event: String) {
    awaitlet!(yield_now());
    if event.is_empty() {
        return;
    }
    log.push(&event);
}

#[async_def]
fn returns_impl_display(n: u32) -> impl Display {
    if n == 0 {
        return String::from("zero");
    }
    format!("n = {}", fetch(n))
}

#[async_def]
fn returns_impl_iterator(n: u32) -> impl Iterator<Item = u32> {
    let limit = fetch(n);
    (0..limit).map(|i| i * i)
}

#[test]
fn returning_unit() {
    let log = DropLog::new();
    block_on(returns_unit(log.clone(), String::new()));
    block_on(returns_unit(log.clone(), "event".into()));
    assert_eq!(log.entries(), ["event"]);
}

#[test]
fn returning_impl_trait() {
    assert_eq!(block_on(returns_impl_display(0)).to_string(), "zero");
    assert_eq!(block_on(returns_impl_display(3)).to_string(), "n = 3");
    let squares: Vec<u32> = block_on(returns_impl_iterator(4)).collect();
    assert_eq!(squares, [0, 1, 4, 9]);
}

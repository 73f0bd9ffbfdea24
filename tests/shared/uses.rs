// `#[async_def]` and `awaitlet!` uses shared by two crates of different editions: the
// `awaitlet-tests` package (edition 2024, `shared_uses.rs`) and `awaitlet-edition2021`
// (`tests/edition2021/src/lib.rs`), which `include!` this file. Tokens written here keep their
// crate's edition while the macros' own tokens follow `awaitlet-macros`' edition, so each
// expansion is checked on both sides of the edition boundary. Every public item is documented:
// the 2021 crate denies `missing_docs`, which also checks that doc comments survive the macro.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use awaitlet::{async_def, awaitlet};

/// Pending once (waking its task), then `value`.
#[derive(Debug)]
pub struct YieldThen<T>(pub Option<T>, pub bool);

impl<T: Unpin> Future for YieldThen<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.1 {
            Poll::Ready(self.0.take().expect("polled after completion"))
        } else {
            self.1 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// `YieldThen` that yields once and then returns `value`.
pub fn yield_then<T: Unpin>(value: T) -> YieldThen<T> {
    YieldThen(Some(value), false)
}

/// A plain sync helper that awaits.
pub fn fetch(n: u32) -> u32 {
    awaitlet!(yield_then(n))
}

/// A free fn.
#[async_def]
pub fn shared_add(a: u32, b: u32) -> u32 {
    fetch(a) + fetch(b)
}

/// Generics, a `where` clause and an `impl Trait` argument.
#[async_def]
pub fn shared_describe<T>(value: T, suffix: impl Display) -> String
where
    T: Display + Unpin,
{
    let value = awaitlet!(yield_then(value));
    format!("{value}{suffix}")
}

/// `?`, early `return`, an inner attribute and a pattern argument.
#[async_def(stack_size = 128 * 1024)]
pub fn shared_parse((text, fallback): (String, u32)) -> Result<u32, std::num::ParseIntError> {
    #![allow(unused_variables)]
    let unused = ();
    if text.is_empty() {
        return Ok(fallback);
    }
    let n: u32 = text.parse()?;
    Ok(fetch(n))
}

/// Returns an opaque type; its capture rules differ between editions for plain fns.
#[async_def(crate = ::awaitlet)]
pub fn shared_display(name: String, count: u32) -> impl Display {
    format!("{name} x{}", fetch(count))
}

/// A type with `#[async_def]` methods.
#[derive(Debug)]
pub struct SharedCounter {
    /// The current count.
    pub count: u32,
}

impl SharedCounter {
    /// Takes `mut self`.
    #[async_def]
    pub fn bump(mut self, by: u32) -> Self {
        self.count += fetch(by);
        self
    }

    /// Takes `self: Box<Self>`.
    #[async_def]
    pub fn boxed(self: Box<Self>) -> u32 {
        fetch(self.count)
    }

    /// Takes `self: Rc<Self>`.
    #[async_def(assert_await_occurs)]
    pub fn shared(self: Rc<Self>) -> u32 {
        fetch(self.count)
    }
}

/// A trait declaring an `async fn`. (`AsyncDef` is `!Send` anyway, so the `Send` question that
/// `async_fn_in_trait` warns about has only one answer here.)
#[allow(async_fn_in_trait)]
pub trait SharedSource {
    /// Reads a value.
    async fn read(self, key: String) -> Option<u32>;
}

impl SharedSource for SharedCounter {
    #[async_def]
    fn read(self, key: String) -> Option<u32> {
        if key != "count" {
            return None;
        }
        Some(fetch(self.count))
    }
}

/// The functional forms.
pub fn shared_functional(n: u32) -> awaitlet::AsyncDef<u32> {
    awaitlet::async_def(move || awaitlet::awaitlet(yield_then(n)) + 1)
}

#[cfg(test)]
mod shared_uses_tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn free_generic_and_fallible_fns() {
        assert_eq!(block_on(shared_add(2, 3)), 5);
        assert_eq!(block_on(shared_describe(4, "!")), "4!");
        assert_eq!(block_on(shared_parse((String::new(), 9))), Ok(9));
        assert_eq!(block_on(shared_parse(("12".into(), 0))), Ok(12));
        assert!(block_on(shared_parse(("x".into(), 0))).is_err());
        assert_eq!(block_on(shared_display("a".into(), 3)).to_string(), "a x3");
        assert_eq!(block_on(shared_functional(1)), 2);
    }

    #[test]
    fn methods_and_trait_impls() {
        let counter = block_on(SharedCounter { count: 1 }.bump(2));
        assert_eq!(counter.count, 3);
        assert_eq!(block_on(Box::new(SharedCounter { count: 4 }).boxed()), 4);
        assert_eq!(block_on(Rc::new(SharedCounter { count: 5 }).shared()), 5);
        assert_eq!(
            block_on(SharedCounter { count: 6 }.read("count".into())),
            Some(6)
        );
        assert_eq!(
            block_on(SharedCounter { count: 6 }.read("other".into())),
            None
        );
    }
}

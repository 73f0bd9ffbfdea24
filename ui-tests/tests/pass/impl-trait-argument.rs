//! `impl Trait` arguments and an `impl Trait` return type.

use std::fmt::Display;

use awaitlet::{async_def, awaitlet};

#[async_def]
fn sum(items: impl IntoIterator<Item = u32>, label: impl Display + Send + 'static) -> impl Display {
    let total: u32 = items.into_iter().map(|n| awaitlet!(async move { n })).sum();
    format!("{label}: {total}")
}

fn main() {
    let out = futures::executor::block_on(sum(vec![1, 2, 3], "total"));
    assert_eq!(out.to_string(), "total: 6");
}

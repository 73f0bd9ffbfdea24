//! Higher-ranked lifetimes are not borrows: `Fn(&str)`, `fn(&str)`, `for<'a>` bounds.

use awaitlet::async_def;

#[async_def]
fn apply(
    boxed: Box<dyn Fn(&str) -> String>,
    generic: impl Fn(&str) -> String,
    pointer: fn(&str) -> &str,
    explicit: Box<dyn for<'a> Fn(&'a str) -> &'a str>,
) -> String {
    let local = String::from("x");
    format!(
        "{}{}{}{}",
        boxed(&local),
        generic(&local),
        pointer(&local),
        explicit(&local)
    )
}

#[async_def]
fn apply_where<F>(f: F) -> usize
where
    F: for<'a> Fn(&'a [u8]) -> &'a [u8],
{
    f(&[1, 2, 3]).len()
}

fn main() {
    let out = futures::executor::block_on(apply(
        Box::new(|s| s.to_uppercase()),
        |s| format!("{s}{s}"),
        |s| s,
        Box::new(|s| s),
    ));
    assert_eq!(out, "Xxxxx");
    assert_eq!(futures::executor::block_on(apply_where(|b| &b[1..])), 2);
}

//! `'static` borrows are owned enough.

use awaitlet::{async_def, awaitlet};

#[async_def]
fn greet(name: &'static str, names: &'static [&'static str]) -> String {
    let greeting = awaitlet!(async move { format!("hello {name}") });
    format!("{greeting} and {}", names.join(", "))
}

fn main() {
    let out = futures::executor::block_on(greet("world", &["a", "b"]));
    assert_eq!(out, "hello world and a, b");
}

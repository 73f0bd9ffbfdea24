use std::fmt::Display;

use awaitlet::async_def;

#[async_def]
fn label() -> impl Display {
    vec![1, 2, 3]
}

fn main() {
    let _ = futures::executor::block_on(label());
}

use std::fmt::Display;

use awaitlet::async_def;

#[async_def(send)]
fn show<T: Display>(value: T) -> String {
    value.to_string()
}

fn main() {}

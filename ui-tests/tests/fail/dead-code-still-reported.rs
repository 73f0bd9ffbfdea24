#![deny(dead_code)]

use awaitlet::async_def;

#[async_def]
fn never_called() -> u32 {
    42
}

fn main() {}

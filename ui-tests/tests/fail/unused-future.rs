#![deny(unused_must_use)]

use awaitlet::async_def;

#[async_def]
fn answer() -> u32 {
    42
}

fn main() {
    answer();
}

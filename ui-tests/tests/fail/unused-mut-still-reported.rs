#![deny(unused_mut)]

use awaitlet::async_def;

#[async_def]
fn answer(mut n: u32) -> u32 {
    let mut m = 1;
    n + m
}

fn main() {
    let _: u32 = futures::executor::block_on(answer(41));
}

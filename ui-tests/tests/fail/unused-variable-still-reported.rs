#![deny(unused_variables)]

use awaitlet::async_def;

#[async_def]
fn answer(unused: String) -> u32 {
    let forty_two = 42;
    1
}

fn main() {
    let _: u32 = futures::executor::block_on(answer(String::new()));
}

#![deny(unreachable_code)]

use awaitlet::async_def;

#[async_def]
fn answer() -> u32 {
    return 42;
    #[allow(unused_variables)]
    let after = 0;
    after
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

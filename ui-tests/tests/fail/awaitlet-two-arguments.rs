use awaitlet::{async_def, awaitlet};

#[async_def]
fn answer() -> u32 {
    awaitlet!(async { 1 }, async { 2 })
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

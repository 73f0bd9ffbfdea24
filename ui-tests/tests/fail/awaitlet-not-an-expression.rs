use awaitlet::{async_def, awaitlet};

#[async_def]
fn answer() -> u32 {
    awaitlet!(let x = async { 1 })
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

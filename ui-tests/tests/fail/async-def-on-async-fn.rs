use awaitlet::async_def;

#[async_def]
async fn answer() -> u32 {
    42
}

fn main() {
    // No cascade: the fn is still emitted as an `async fn`.
    let _: u32 = futures::executor::block_on(answer());
}

use awaitlet::async_def;

#[async_def(send)]
async fn answer() -> u32 {
    async { 42 }.await
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

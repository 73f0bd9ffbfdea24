use awaitlet::async_def;

async fn fetch() -> u32 {
    42
}

#[async_def]
fn answer() -> u32 {
    fetch().await + 1
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

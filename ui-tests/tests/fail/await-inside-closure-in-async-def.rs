use awaitlet::async_def;

async fn fetch(n: u32) -> u32 {
    n
}

#[async_def]
fn answer() -> u32 {
    let double = |n: u32| fetch(n).await * 2;
    double(21)
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

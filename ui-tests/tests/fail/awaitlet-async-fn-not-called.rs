use awaitlet::{async_def, awaitlet};

async fn fetch() -> u32 {
    42
}

#[async_def]
fn answer() -> u32 {
    awaitlet!(fetch)
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

use awaitlet::async_def;

#[async_def]
fn answer() -> u32 {
    "forty-two"
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

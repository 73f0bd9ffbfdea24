use awaitlet::async_def;

#[async_def]
extern "C" fn answer() -> u32 {
    42
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

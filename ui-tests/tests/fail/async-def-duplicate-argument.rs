use awaitlet::async_def;

#[async_def(stack_size = 1 << 16, stack_size = 1 << 17)]
fn answer() -> u32 {
    42
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

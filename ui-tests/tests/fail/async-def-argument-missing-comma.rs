use awaitlet::async_def;

#[async_def(stack_size = 65536 assert_await_occurs)]
fn answer() -> u32 {
    42
}

fn main() {
    let _: u32 = futures::executor::block_on(answer());
}

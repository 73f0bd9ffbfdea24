use awaitlet::async_def;

#[async_def(send = true)]
fn api() -> u32 {
    1
}

fn main() {}

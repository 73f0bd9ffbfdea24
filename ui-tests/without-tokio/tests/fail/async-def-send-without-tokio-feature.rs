use awaitlet::async_def;

#[async_def(send)]
fn api(n: u64) -> u64 {
    n + 1
}

fn main() {}

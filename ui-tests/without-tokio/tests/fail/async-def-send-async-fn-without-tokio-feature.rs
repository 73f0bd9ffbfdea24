use awaitlet::async_def;

#[async_def(send)]
async fn api(n: u64) -> u64 {
    async { n + 1 }.await
}

fn main() {}

use awaitlet::async_def;

#[async_def]
async fn answer() -> u32 {
    async { 42 }.await
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(answer());
}

use awaitlet::async_def;

#[async_def]
fn answer() -> u32 {
    42
}

fn require_sync<T: Sync>(_: T) {}

fn main() {
    require_sync(answer());
}

#[awaitlet::async_def]
fn main() {}

use awaitlet::async_def;

#[async_def]
fn answer() -> u32 {
    42
}

#[tokio::main]
async fn main() {
    let _ = tokio::spawn(answer()).await;
}

//! The futures run under tokio's current-thread runtime and in a `LocalSet`.

use awaitlet::{async_def, awaitlet};

#[async_def]
fn sleepy(n: u32) -> u32 {
    awaitlet!(tokio::task::yield_now());
    n
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(sleepy(1).await, 1);
    let local = tokio::task::LocalSet::new();
    let out = local
        .run_until(async { tokio::task::spawn_local(sleepy(2)).await.unwrap() })
        .await;
    assert_eq!(out, 2);
}

//! `.await` in an async block, an async closure or a nested item of the body is legal.

use awaitlet::{async_def, awaitlet};

async fn fetch(n: u32) -> u32 {
    n
}

#[async_def]
fn answer() -> u32 {
    async fn nested() -> u32 {
        fetch(10).await
    }
    let block = async { fetch(1).await + 1 };
    let closure = async |n: u32| fetch(n).await;
    awaitlet!(block) + awaitlet!(closure(20)) + awaitlet!(nested())
}

fn main() {
    assert_eq!(futures::executor::block_on(answer()), 32);
}

//! The first program a new user writes: `tokio::spawn` of `#[async_def(send)]` fns on the default
//! `#[tokio::main]` runtime, the multi-thread one.

use awaitlet::{async_def, awaitlet};

fn logic(n: u64) -> u64 {
    awaitlet!(tokio::time::sleep(std::time::Duration::from_millis(1)));
    n + 1
}

#[async_def(send)]
fn api(n: u64) -> u64 {
    logic(n)
}

#[tokio::main]
async fn main() {
    assert_eq!(tokio::spawn(api(41)).await.unwrap(), 42);
    let tasks: Vec<_> = (0..10).map(|n| tokio::spawn(api(n))).collect();
    for (n, task) in (0..).zip(tasks) {
        assert_eq!(task.await.unwrap(), n + 1);
    }
}

//! `#[async_def(send)]` on an `async fn` whose body holds `!Send` values across `.await`: the
//! outer future is still `Send`, so `tokio::spawn` takes it on the multi-thread runtime.

use std::rc::Rc;

use awaitlet::{async_def, awaitlet};

fn sync_layer(shared: &Rc<u32>) -> u32 {
    awaitlet!(tokio::task::yield_now());
    **shared + 1
}

#[async_def(send)]
async fn api(n: u32) -> u32 {
    let shared = Rc::new(n);
    tokio::task::yield_now().await;
    sync_layer(&shared)
}

#[tokio::main]
async fn main() {
    assert_eq!(tokio::spawn(api(41)).await.unwrap(), 42);
}

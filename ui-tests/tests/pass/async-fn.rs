//! `#[async_def]` on an `async fn`: `.await` and `awaitlet!` in the body, sync code handed
//! borrowed locals, `?`, a method with an owned receiver, a trait impl.

use awaitlet::{async_def, awaitlet};

fn sync_layer(total: &mut u32, add: u32) -> u32 {
    *total += awaitlet!(async move { add });
    *total
}

#[async_def]
async fn sum(items: Vec<u32>) -> Result<u32, String> {
    let mut total = 0;
    for item in items {
        async {}.await;
        sync_layer(&mut total, item);
    }
    if total == 0 {
        Err("empty".to_string())?;
    }
    Ok(total)
}

struct Counter(u32);

trait Get {
    async fn get(self) -> u32;
}

impl Get for Counter {
    #[async_def]
    async fn get(self) -> u32 {
        async { self.0 }.await
    }
}

fn main() {
    assert_eq!(futures::executor::block_on(sum(vec![1, 2])), Ok(3));
    assert_eq!(futures::executor::block_on(Counter(4).get()), 4);
}

//! `awaitlet!` in any expression position, in plain fns below an `#[async_def]`, on
//! `IntoFuture` values, with a trailing comma.

use std::future::{IntoFuture, Ready, ready};

use awaitlet::{async_def, awaitlet};

struct Later(u32);

impl IntoFuture for Later {
    type Output = u32;
    type IntoFuture = Ready<u32>;

    fn into_future(self) -> Self::IntoFuture {
        ready(self.0)
    }
}

fn deep(n: u32) -> u32 {
    let doubled = awaitlet!(async move { n * 2 },);
    doubled + awaitlet!(Later(1))
}

#[async_def]
fn answer() -> u32 {
    let values: Vec<u32> = (0..3).map(|n| awaitlet!(ready(n))).collect();
    match awaitlet!(ready(Some(1))) {
        Some(n) => n + deep(values.iter().sum()),
        None => 0,
    }
}

fn main() {
    assert_eq!(futures::executor::block_on(answer()), 8);
}

//! A method in an `impl` of a trait that declares `async fn` satisfies the trait.

use std::sync::Arc;

use awaitlet::{async_def, awaitlet};

trait Service {
    async fn call(self, request: String) -> String;
    async fn call_shared(self: Arc<Self>, request: String) -> String;
    async fn create(seed: u32) -> Self;
}

struct Echo(u32);

impl Service for Echo {
    #[async_def]
    fn call(self, request: String) -> String {
        awaitlet!(async move { format!("{request}{}", self.0) })
    }

    #[async_def]
    fn call_shared(self: Arc<Self>, request: String) -> String {
        format!("{request}{}", self.0)
    }

    #[async_def]
    fn create(seed: u32) -> Self {
        Echo(awaitlet!(async move { seed + 1 }))
    }
}

fn main() {
    let echo: Echo = futures::executor::block_on(Echo::create(1));
    assert_eq!(futures::executor::block_on(echo.call("a".into())), "a2");
    let echo = Arc::new(Echo(3));
    assert_eq!(
        futures::executor::block_on(echo.call_shared("b".into())),
        "b3"
    );
}

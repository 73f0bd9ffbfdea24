use awaitlet::async_def;

struct Counter(u32);

impl Counter {
    #[async_def]
    async fn get(&self) -> u32 {
        async { self.0 }.await
    }
}

fn main() {
    let _: u32 = futures::executor::block_on(Counter(1).get());
}

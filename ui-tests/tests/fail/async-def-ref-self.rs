use awaitlet::async_def;

struct Counter(u32);

impl Counter {
    #[async_def]
    fn get(&self) -> u32 {
        self.0
    }
}

fn main() {
    let _: u32 = futures::executor::block_on(Counter(1).get());
}

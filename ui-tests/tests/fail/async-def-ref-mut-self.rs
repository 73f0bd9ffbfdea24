use awaitlet::async_def;

struct Counter(u32);

impl Counter {
    #[async_def]
    fn bump(&mut self) {
        self.0 += 1;
    }
}

fn main() {
    let mut counter = Counter(1);
    futures::executor::block_on(counter.bump());
}

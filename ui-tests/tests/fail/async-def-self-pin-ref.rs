use std::pin::Pin;

use awaitlet::async_def;

struct Counter(u32);

impl Counter {
    #[async_def]
    fn bump(self: Pin<&mut Self>) {
        self.get_mut().0 += 1;
    }
}

fn main() {
    let mut counter = Counter(1);
    futures::executor::block_on(Pin::new(&mut counter).bump());
}

use std::rc::Rc;

use awaitlet::async_def;

#[async_def(send)]
async fn shared(base: u32) -> Rc<u32> {
    async { Rc::new(base) }.await
}

fn main() {}

use std::rc::Rc;

use awaitlet::async_def;

#[async_def(send)]
async fn total(base: u32, shared: Rc<Vec<u32>>) -> u32 {
    async { base + shared.iter().sum::<u32>() }.await
}

fn main() {}

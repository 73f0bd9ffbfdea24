use std::rc::Rc;

use awaitlet::async_def;

#[async_def(send)]
fn total(base: u32, shared: Rc<Vec<u32>>) -> u32 {
    base + shared.iter().sum::<u32>()
}

fn main() {}

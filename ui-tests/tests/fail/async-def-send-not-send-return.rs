use std::rc::Rc;

use awaitlet::async_def;

#[async_def(send)]
fn make(n: u32) -> Rc<u32> {
    Rc::new(n)
}

fn main() {}

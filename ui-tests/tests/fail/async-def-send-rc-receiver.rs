use std::rc::Rc;

use awaitlet::async_def;

struct Service;

impl Service {
    #[async_def(send)]
    fn call(self: Rc<Self>) -> u32 {
        1
    }
}

fn main() {}

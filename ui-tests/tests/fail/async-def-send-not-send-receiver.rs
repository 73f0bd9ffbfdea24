use std::rc::Rc;

use awaitlet::async_def;

struct Service {
    shared: Rc<u32>,
}

impl Service {
    #[async_def(send)]
    fn call(self) -> u32 {
        *self.shared
    }
}

fn main() {}

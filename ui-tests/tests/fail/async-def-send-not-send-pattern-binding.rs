use std::cell::RefCell;
use std::rc::Rc;

use awaitlet::async_def;

#[async_def(send)]
fn first((label, cache): (String, Rc<RefCell<Vec<u32>>>)) -> String {
    format!("{label}: {:?}", cache.borrow().first())
}

fn main() {}

//! Every owned receiver: `self`, `mut self`, `self: Box<Self>`, `self: Rc<Self>`,
//! `self: Arc<Self>`.

use std::rc::Rc;
use std::sync::Arc;

use awaitlet::{async_def, awaitlet};

struct Counter(u32);

impl Counter {
    #[async_def]
    fn by_value(self) -> u32 {
        awaitlet!(async move { self.0 })
    }

    #[async_def]
    fn by_mut_value(mut self) -> u32 {
        self.0 += 1;
        self.0
    }

    #[async_def]
    fn boxed(self: Box<Self>) -> u32 {
        self.0
    }

    #[async_def]
    fn rc(self: Rc<Self>) -> u32 {
        self.0
    }

    #[async_def]
    fn arc(self: Arc<Self>) -> u32 {
        awaitlet!(async move { self.0 })
    }
}

fn main() {
    use futures::executor::block_on;
    assert_eq!(block_on(Counter(1).by_value()), 1);
    assert_eq!(block_on(Counter(1).by_mut_value()), 2);
    assert_eq!(block_on(Box::new(Counter(3)).boxed()), 3);
    assert_eq!(block_on(Rc::new(Counter(4)).rc()), 4);
    assert_eq!(block_on(Arc::new(Counter(5)).arc()), 5);
}

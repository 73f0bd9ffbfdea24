//! Inner attributes in the body still apply to it.
#![deny(unused_mut, unused_variables)]

use awaitlet::{async_def, awaitlet};

#[async_def]
fn answer() -> u32 {
    #![allow(unused_mut, unused_variables)]
    //! An inner doc comment is an inner attribute too.
    let mut unused = 0;
    let mut n = 41;
    n += awaitlet!(async { 1 });
    n
}

fn main() {
    assert_eq!(futures::executor::block_on(answer()), 42);
}

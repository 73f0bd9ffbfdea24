//! `stack_size = <expr>`, `assert_await_occurs` (bare or `= bool`), a trailing comma.

use awaitlet::{async_def, awaitlet};

const STACK: usize = 1 << 17;

#[async_def(stack_size = 1 << 16, assert_await_occurs)]
fn small_stack(n: u32) -> u32 {
    awaitlet!(async move { n + 1 })
}

#[async_def(stack_size = STACK)]
fn const_stack() -> u32 {
    7
}

// rustfmt would drop the trailing comma this case is about.
#[rustfmt::skip]
#[async_def(assert_await_occurs = false,)]
fn never_awaits() -> u32 {
    8
}

fn main() {
    use futures::executor::block_on;
    assert_eq!(block_on(small_stack(1)), 2);
    assert_eq!(block_on(const_stack()), 7);
    assert_eq!(block_on(never_awaits()), 8);
}

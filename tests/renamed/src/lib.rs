//! A consumer of `awaitlet` under a renamed dependency (`renamed_awaitlet`). `awaitlet!` finds
//! its crate through `$crate`; `#[async_def]` is told where it is with `crate = ...`.

use renamed_awaitlet::awaitlet;

/// Plain sync code that awaits through the renamed crate.
pub fn fetch(n: u32) -> u32 {
    awaitlet!(std::future::ready(n)) + renamed_awaitlet::awaitlet!(async move { n })
}

/// A free fn; every macro argument spelled with the renamed crate.
#[renamed_awaitlet::async_def(crate = ::renamed_awaitlet, stack_size = 64 * 1024, assert_await_occurs)]
pub fn renamed_free_fn(n: u32) -> u32 {
    fetch(n) + 1
}

/// A type with an `#[async_def]` method.
#[derive(Debug)]
pub struct Renamed(pub u32);

impl Renamed {
    /// A method with an owned receiver.
    #[renamed_awaitlet::async_def(crate = renamed_awaitlet)]
    pub fn get(self: Box<Self>) -> u32 {
        fetch(self.0)
    }
}

/// `send` under the renamed crate.
#[renamed_awaitlet::async_def(send, crate = renamed_awaitlet)]
pub fn renamed_send_fn(n: u32) -> u32 {
    fetch(n) * 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn macros_work_under_a_renamed_dependency() {
        assert_eq!(block_on(renamed_free_fn(2)), 5);
        assert_eq!(block_on(Box::new(Renamed(3)).get()), 6);
        let fut = renamed_awaitlet::async_def(|| renamed_awaitlet::awaitlet(async { 7 }));
        assert_eq!(block_on(fut), 7);
        assert!(!renamed_awaitlet::in_async_def());
        assert_eq!(block_on(renamed_send_fn(1)), 4);
    }
}

//! `crate = path` for when `awaitlet` is re-exported or renamed.

mod reexport {
    pub use ::awaitlet as inner;
}

#[awaitlet::async_def(crate = ::awaitlet)]
fn absolute(n: u32) -> u32 {
    awaitlet::awaitlet!(async move { n })
}

#[reexport::inner::async_def(crate = reexport::inner)]
fn through_reexport(n: u32) -> u32 {
    reexport::inner::awaitlet!(async move { n * 2 })
}

fn main() {
    assert_eq!(futures::executor::block_on(absolute(1)), 1);
    assert_eq!(futures::executor::block_on(through_reexport(2)), 4);
}

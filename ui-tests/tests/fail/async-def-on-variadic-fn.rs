use awaitlet::async_def;

#[async_def]
unsafe extern "C" fn sum(count: usize, _: ...) -> usize {
    count
}

fn main() {
    let _: usize = futures::executor::block_on(unsafe { sum(0) }); // SAFETY: never compiles
}

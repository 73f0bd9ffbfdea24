use awaitlet::async_def;

struct Wrapper<T>(T);

impl<T> Wrapper<T> {
    // `T` is a parameter of the impl, not of the fn.
    #[async_def]
    fn into_inner(self) -> T {
        self.0
    }
}

fn main() {
    let _: u32 = futures::executor::block_on(Wrapper(1).into_inner());
}

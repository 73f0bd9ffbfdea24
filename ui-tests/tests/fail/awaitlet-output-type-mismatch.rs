use awaitlet::{async_def, awaitlet};

#[async_def]
fn answer() -> usize {
    let s: String = awaitlet!(async { 1u32 });
    s.len()
}

fn main() {
    let _: usize = futures::executor::block_on(answer());
}

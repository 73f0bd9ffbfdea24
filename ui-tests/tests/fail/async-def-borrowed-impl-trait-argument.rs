use awaitlet::async_def;

#[async_def]
fn total(items: impl Iterator<Item = &u32>) -> u32 {
    items.sum()
}

fn main() {
    let _: u32 = futures::executor::block_on(total([1, 2].iter()));
}

use awaitlet::async_def;

#[async_def]
fn total(items: &[u32]) -> u32 {
    items.iter().sum()
}

fn main() {
    let _: u32 = futures::executor::block_on(total(&[1, 2, 3]));
}

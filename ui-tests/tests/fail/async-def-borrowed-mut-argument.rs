use awaitlet::async_def;

#[async_def]
fn push(items: &mut Vec<u32>) {
    items.push(1);
}

fn main() {
    let mut items = Vec::new();
    futures::executor::block_on(push(&mut items));
}

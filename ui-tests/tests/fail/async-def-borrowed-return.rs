use awaitlet::async_def;

#[async_def]
fn first(items: Vec<String>) -> &str {
    &items[0]
}

fn main() {
    let _ = futures::executor::block_on(first(vec![String::from("a")]));
}

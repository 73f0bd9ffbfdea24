use awaitlet::async_def;

#[async_def]
fn len(ref name: String) -> usize {
    name.len()
}

fn main() {
    let _: usize = futures::executor::block_on(len(String::from("abc")));
}

use awaitlet::async_def;

#[async_def]
fn greet(name: &str) -> String {
    format!("hello {name}")
}

fn main() {
    let _: String = futures::executor::block_on(greet("world"));
}

use awaitlet::async_def;

#[async_def]
async fn greet(name: &str) -> String {
    async {}.await;
    format!("hello {name}")
}

fn main() {
    let _: String = futures::executor::block_on(greet("world"));
}

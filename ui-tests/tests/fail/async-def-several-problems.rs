use awaitlet::async_def;

struct Greeter;

impl Greeter {
    #[async_def]
    async fn greet(&self, name: &str, names: &[String]) -> String {
        format!("hello {name} and {}", names.len())
    }
}

fn main() {
    let _: String = futures::executor::block_on(Greeter.greet("world", &[]));
}

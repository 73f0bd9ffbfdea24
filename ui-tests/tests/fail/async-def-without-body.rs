use awaitlet::async_def;

trait Service {
    #[async_def]
    fn call(self, request: String) -> String;
}

fn main() {}

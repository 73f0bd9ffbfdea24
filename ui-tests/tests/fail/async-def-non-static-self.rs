use awaitlet::async_def;

struct Name<'a>(&'a str);

impl Name<'_> {
    // The receiver is owned, but `Self` borrows.
    #[async_def]
    fn greet(self) -> String {
        format!("hello {}", self.0)
    }
}

fn main() {
    let _: String = futures::executor::block_on(Name("world").greet());
}

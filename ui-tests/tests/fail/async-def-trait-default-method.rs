use awaitlet::async_def;

trait Named: Sized {
    fn name(&self) -> String;

    // A default method: `Self` is a type parameter the coroutine captures.
    #[async_def]
    fn greet(self) -> String {
        format!("hello {}", self.name())
    }
}

struct World;

impl Named for World {
    fn name(&self) -> String {
        String::from("world")
    }
}

fn main() {
    let _: String = futures::executor::block_on(World.greet());
}

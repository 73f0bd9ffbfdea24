use std::fmt::Display;

use awaitlet::async_def;

#[async_def]
fn show(value: Box<dyn Display + 'a>) -> String {
    value.to_string()
}

fn main() {
    let _: String = futures::executor::block_on(show(Box::new(1)));
}

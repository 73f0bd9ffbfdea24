use std::borrow::Cow;

use awaitlet::async_def;

#[async_def]
fn shout(text: Cow<'_, str>) -> String {
    text.to_uppercase()
}

fn main() {
    let _: String = futures::executor::block_on(shout(Cow::Borrowed("hi")));
}

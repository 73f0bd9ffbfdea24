use awaitlet::async_def;

#[async_def]
fn parse(text: String) {
    let _n: u32 = text.parse()?;
}

fn main() {
    futures::executor::block_on(parse(String::from("1")));
}

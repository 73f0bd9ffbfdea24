use awaitlet::async_def;

#[derive(Debug)]
struct MyError;

#[async_def]
fn parse(text: String) -> Result<u32, MyError> {
    let n: u32 = text.parse()?;
    Ok(n)
}

fn main() {
    let _ = futures::executor::block_on(parse(String::from("1")));
}

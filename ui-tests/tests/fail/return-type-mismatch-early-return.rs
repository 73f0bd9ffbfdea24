use awaitlet::async_def;

#[async_def]
fn answer(flag: bool) -> u32 {
    if flag {
        return "forty-two";
    }
    42
}

fn main() {
    let _: u32 = futures::executor::block_on(answer(true));
}

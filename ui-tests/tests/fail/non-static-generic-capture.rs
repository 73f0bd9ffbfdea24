use awaitlet::async_def;

#[async_def]
fn describe<T: std::fmt::Debug>(value: T) -> String {
    format!("{value:?}")
}

fn main() {
    let local = String::from("borrowed");
    let _ = futures::executor::block_on(describe(&local));
}

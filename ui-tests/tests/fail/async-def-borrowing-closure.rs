fn main() {
    let names = vec![String::from("a")];
    let fut = awaitlet::async_def(|| names.join(","));
    let _: String = futures::executor::block_on(fut);
}

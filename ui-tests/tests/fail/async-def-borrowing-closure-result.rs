fn first(names: &[String]) -> awaitlet::AsyncDef<&str> {
    awaitlet::async_def(move || names[0].as_str())
}

fn main() {
    let names = vec![String::from("a")];
    let _ = futures::executor::block_on(first(&names));
}

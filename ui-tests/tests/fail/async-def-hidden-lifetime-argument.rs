use awaitlet::async_def;

// `Chars` borrows, but no `&` or lifetime is written: only rustc can see it.
#[async_def]
fn count(chars: std::str::Chars) -> usize {
    chars.count()
}

fn main() {
    let _: usize = futures::executor::block_on(count("abc".chars()));
}

use awaitlet::async_def;

#[async_def]
struct Answer(u32);

fn main() {
    // No cascade: the struct is still emitted.
    let _ = Answer(42).0;
}

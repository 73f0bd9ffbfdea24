use awaitlet::async_def;

struct Answer;

#[async_def]
impl Answer {
    fn get(self) -> u32 {
        42
    }
}

fn main() {
    let _ = Answer.get();
}

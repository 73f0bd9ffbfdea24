fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(awaitlet::async_def(|| 42));
}

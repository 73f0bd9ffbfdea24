#![deny(unused_must_use)]

fn main() {
    awaitlet::async_def(|| 42);
}

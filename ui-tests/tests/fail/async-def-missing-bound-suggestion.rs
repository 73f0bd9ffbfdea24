use awaitlet::async_def;

// rustc's suggestion goes where the user writes bounds, not after the implied `'static`.
#[async_def]
fn show<T>(value: T) -> String {
    value.to_string()
}

#[async_def]
fn show_cloned<T: Clone>(value: T) -> String {
    value.clone().to_string()
}

fn main() {}

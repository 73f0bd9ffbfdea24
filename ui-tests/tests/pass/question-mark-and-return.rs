//! `?` and early `return` mean what they mean in the sync fn.

use awaitlet::{async_def, awaitlet};

#[async_def]
fn parse(text: String) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: u32 = awaitlet!(async move { text.parse::<u32>() })?;
    Ok(n + 1)
}

#[async_def]
fn parse_boxed(text: String) -> Result<u32, Box<dyn std::error::Error>> {
    Ok(text.parse::<u32>()?)
}

#[async_def]
fn first_even(items: Vec<u32>) -> Option<u32> {
    for item in items {
        if item % 2 == 0 {
            return Some(item);
        }
    }
    None
}

fn main() {
    use futures::executor::block_on;
    assert_eq!(block_on(parse(String::new())), Ok(0));
    assert_eq!(block_on(parse(String::from("41"))), Ok(42));
    assert!(block_on(parse(String::from("x"))).is_err());
    assert!(block_on(parse_boxed(String::from("x"))).is_err());
    assert_eq!(block_on(first_even(vec![1, 3, 4])), Some(4));
}

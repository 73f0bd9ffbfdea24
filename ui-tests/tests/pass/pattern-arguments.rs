//! Pattern arguments: tuples, structs, `mut`, `_`.

use awaitlet::async_def;

struct Point {
    x: i32,
    y: i32,
}

#[async_def]
fn add((a, b): (u32, u32), Point { x, y }: Point, mut acc: Vec<i32>, _: String) -> i32 {
    acc.push(x + y);
    acc.iter().sum::<i32>() + (a + b) as i32
}

fn main() {
    let out =
        futures::executor::block_on(add((1, 2), Point { x: 3, y: 4 }, vec![5], String::new()));
    assert_eq!(out, 15);
}

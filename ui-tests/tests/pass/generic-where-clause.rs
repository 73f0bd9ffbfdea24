//! Type and const generics, bounds and `where` clauses are kept as written.

use std::fmt::Display;

use awaitlet::{async_def, awaitlet};

#[async_def]
fn join<T, U, const N: usize>(items: [T; N], separator: U) -> String
where
    T: Display + Clone,
    U: AsRef<str>,
{
    let items = awaitlet!(async move { items });
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    parts.join(separator.as_ref())
}

struct Store<T>(Vec<T>);

impl<T: Clone + 'static> Store<T> {
    #[async_def]
    fn into_first(self) -> Option<T>
    where
        T: PartialEq,
    {
        self.0.first().cloned()
    }
}

fn main() {
    let joined = futures::executor::block_on(join([1, 2, 3], String::from("-")));
    assert_eq!(joined, "1-2-3");
    let first = futures::executor::block_on(Store(vec!['x', 'y']).into_first());
    assert_eq!(first, Some('x'));
}

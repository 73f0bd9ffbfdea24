//! Hygiene: the expansions of `#[async_def]` and `awaitlet!` must not depend on what the user's
//! module defines. Each module below shadows names an expansion might carelessly use (`core`,
//! `std`, `awaitlet`, `Builder`, prelude items, methods of a blanket trait) or has no prelude at
//! all, and still uses both macros. (The renamed-dependency consumer is its own package,
//! `tests/renamed`, because Cargo refuses one package depending on a crate under two names.)

/// Everything an expansion could name by a relative path is something else here.
mod shadowed {
    #![allow(dead_code, non_camel_case_types, clippy::module_inception)]

    mod core {}
    mod std {}
    mod awaitlet {}
    mod futures {}
    mod __private {}

    struct Builder;
    struct AsyncDef;
    struct Box;
    struct Pin;
    struct Poll;
    struct Context;
    struct Result;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct String;
    trait Future {}
    trait IntoFuture {}
    trait FnOnce {}
    trait Send {}

    fn async_def() {}
    fn awaitlet() {}
    fn try_awaitlet() {}
    fn in_async_def() {}
    fn async_def_unchecked() {}
    fn sendable() {}
    fn spawn_send() {}
    fn spawn_pinned() {}
    struct Sendable;
    mod tokio {}
    mod __awaitlet_private {}

    #[::awaitlet::async_def]
    pub fn shadowed_free_fn(n: u32) -> u32 {
        ::awaitlet::awaitlet!(crate::ready_after_yield(n)) + 1
    }

    pub struct Service {
        pub base: u32,
    }

    impl Service {
        #[::awaitlet::async_def(stack_size = 128 * 1024, assert_await_occurs)]
        pub fn call(self, n: u32) -> u32 {
            self.base + ::awaitlet::awaitlet!(crate::ready_after_yield(n))
        }

        #[::awaitlet::async_def(send, stack_size = 128 * 1024)]
        pub fn call_send(self, mut n: u32) -> u32 {
            n += 1;
            self.base + ::awaitlet::awaitlet!(crate::ready_after_yield(n))
        }
    }
}

/// No prelude at all: the expansions must spell out every path they use.
#[no_implicit_prelude]
mod without_prelude {
    #[::awaitlet::async_def]
    pub fn no_prelude(
        values: ::std::vec::Vec<u32>,
    ) -> ::std::result::Result<u32, ::std::string::String> {
        let mut total = 0;
        for value in values {
            total += ::awaitlet::awaitlet!(crate::ready_after_yield(value));
        }
        if total == 0 {
            let empty = <::std::string::String as ::std::convert::From<&str>>::from("empty");
            return ::std::result::Result::Err(empty);
        }
        ::std::result::Result::Ok(total)
    }

    #[::awaitlet::async_def(send)]
    pub fn no_prelude_send((a, b): (u32, u32)) -> ::std::option::Option<u32> {
        ::std::option::Option::Some(::awaitlet::awaitlet!(crate::ready_after_yield(a + b)))
    }
}

/// A blanket trait whose methods share names with the `Builder` methods an expansion calls.
/// Method resolution must not pick these up in place of the crate's own. The hijacking
/// `async_def` returns a future of the right type, so a hijacked expansion still compiles and
/// the test sees the wrong answer instead.
mod blanket_methods {
    #![allow(dead_code)]

    pub trait Hijack: Sized {
        fn new() -> Self {
            unreachable!("hijacked `new`")
        }
        fn stack_size(self, _: usize) -> Self {
            unreachable!("hijacked `stack_size`")
        }
        fn assert_await_occurs(self, _: bool) -> Self {
            unreachable!("hijacked `assert_await_occurs`")
        }
        fn async_def<F>(self, _: F) -> ::std::future::Ready<u32> {
            ::std::future::ready(u32::MAX)
        }
        fn into_future(self) -> Self {
            unreachable!("hijacked `into_future`")
        }
        fn into_inner(self) -> Self {
            unreachable!("hijacked `into_inner`")
        }
        fn spawn_pinned<F>(self, _: F) -> Self {
            unreachable!("hijacked `spawn_pinned`")
        }
    }

    impl<T> Hijack for T {}

    #[::awaitlet::async_def(stack_size = 64 * 1024)]
    pub fn with_blanket_trait_in_scope(n: u32) -> u32 {
        ::awaitlet::awaitlet!(crate::ready_after_yield(n)) * 2
    }

    #[::awaitlet::async_def(send, stack_size = 64 * 1024)]
    pub fn send_with_blanket_trait_in_scope(n: u32) -> u32 {
        ::awaitlet::awaitlet!(crate::ready_after_yield(n)) * 3
    }
}

/// Pending once, then `n`.
fn ready_after_yield(n: u32) -> impl ::std::future::Future<Output = u32> {
    let mut yielded = false;
    ::std::future::poll_fn(move |cx| {
        if yielded {
            ::std::task::Poll::Ready(n)
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            ::std::task::Poll::Pending
        }
    })
}

#[test]
fn expansions_survive_shadowed_names() {
    use ::futures::executor::block_on;
    assert_eq!(block_on(shadowed::shadowed_free_fn(1)), 2);
    assert_eq!(block_on(shadowed::Service { base: 10 }.call(5)), 15);
    assert_eq!(block_on(shadowed::Service { base: 10 }.call_send(5)), 16);
}

#[test]
fn expansions_need_no_prelude() {
    use ::futures::executor::block_on;
    assert_eq!(block_on(without_prelude::no_prelude(vec![1, 2, 3])), Ok(6));
    assert_eq!(
        block_on(without_prelude::no_prelude(vec![])),
        Err("empty".to_string())
    );
    assert_eq!(block_on(without_prelude::no_prelude_send((2, 3))), Some(5));
}

#[test]
fn expansions_ignore_blanket_trait_methods() {
    assert_eq!(
        ::futures::executor::block_on(blanket_methods::with_blanket_trait_in_scope(4)),
        8
    );
    assert_eq!(
        ::futures::executor::block_on(blanket_methods::send_with_blanket_trait_in_scope(4)),
        12
    );
}

//! A pinned call whose coroutine stack cannot be made fails as `async_def` fails there: the panic
//! hook prints the same message on stderr, and the `JoinError` carries it as its payload; an
//! `#[async_def(send)]` caller then dies with that message, not silently. If a capture's
//! destructor panics as well, the call still ends, in a `JoinError`, and its pool thread counts it
//! no longer.
//!
//! Each case runs in a child process, for its stderr, and so that a call that never ends shows as
//! a hung child rather than a hung test.
#![cfg(target_os = "linux")]

mod common;

use awaitlet::tokio::{set_pool_size, spawn_pinned};
use awaitlet::{Builder, async_def};
use futures::executor::block_on;

use common::{child, panic_message, panic_text, thread_name};

/// What `async_def` panics with when the stack cannot be made: the message a pinned call must
/// give in the same case.
fn async_def_message() -> String {
    panic_text(|| Builder::new().stack_size(usize::MAX).async_def(|| 1))
}

#[async_def(send, stack_size = usize::MAX)]
fn too_large() -> u32 {
    1
}

#[test]
fn a_send_call_without_a_stack_prints_what_async_def_prints() {
    let test = "a_send_call_without_a_stack_prints_what_async_def_prints";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "send", &[]);
            let all = child::describe(&output);
            assert_eq!(output.status.code(), Some(101), "{all}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(&async_def_message()), "{all}");
        }
        Some("send") => {
            // Awaited from `main`'s runtime, the way a server would.
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let output = runtime.block_on(too_large());
            unreachable!("a call without a stack returned {output}");
        }
        Some(other) => unreachable!("unknown case {other}"),
    }
}

#[test]
fn a_pinned_call_without_a_stack_is_a_join_error_with_the_message() {
    let handle = Builder::new().stack_size(usize::MAX).spawn_pinned(|| 1);
    let error = block_on(handle).unwrap_err();
    assert_eq!(panic_message(&*error.into_panic()), async_def_message());
}

/// A capture whose destructor panics.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("a capture's destructor panicked");
    }
}

#[test]
fn a_failed_stack_and_a_panicking_capture_end_the_call() {
    let test = "a_failed_stack_and_a_panicking_capture_end_the_call";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "capture", &[]);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            // Both panics were reported, the stack's first.
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stack = stderr.find(&async_def_message());
            let capture = stderr.find("a capture's destructor panicked");
            assert!(
                stack.is_some() && capture.is_some() && stack < capture,
                "{all}"
            );
        }
        Some("capture") => {
            set_pool_size(2).unwrap();
            let capture = PanicsOnDrop;
            let handle = Builder::new().stack_size(usize::MAX).spawn_pinned(move || {
                let _capture = &capture;
                1
            });
            let error = block_on(handle).unwrap_err();
            assert_eq!(
                panic_message(&*error.into_panic()),
                "a capture's destructor panicked"
            );
            // The failed call is no longer counted on its thread, the first: with both threads
            // idle again, the next call goes there, as to the lowest index.
            assert_eq!(
                block_on(spawn_pinned(thread_name)).unwrap(),
                "awaitlet-pinned-0"
            );
        }
        Some(other) => unreachable!("unknown case {other}"),
    }
}

//! `set_pool_runtime`: the pool's threads build their runtimes as told, here with paused clocks,
//! so `tokio::time` in `send` bodies can be tested without waiting. In a child process, because the
//! pool is process-wide and must start with this setting.

#![cfg(target_os = "linux")]

mod common;

use common::child;

/// `set_pool_runtime` with paused clocks: a `send` call's five-minute sleep returns as soon as its
/// pool thread is idle. (Were the clock real, the child would hang past `child::run`'s limit.)
#[test]
fn a_pool_runtime_started_paused_reaches_send_calls() {
    let test = "a_pool_runtime_started_paused_reaches_send_calls";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "paused", &[]);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            assert!(
                String::from_utf8_lossy(&output.stdout).contains("slept 300 s on the pool's clock"),
                "{all}"
            );
        }
        Some("paused") => {
            awaitlet::tokio::set_pool_runtime(|| {
                let mut builder = tokio::runtime::Builder::new_current_thread();
                builder.enable_all().start_paused(true);
                builder
            })
            .unwrap();
            let slept = awaitlet::tokio::spawn_pinned(|| {
                let start = tokio::time::Instant::now();
                awaitlet::awaitlet!(tokio::time::sleep(std::time::Duration::from_secs(300)));
                start.elapsed()
            });
            let slept = futures::executor::block_on(slept).unwrap();
            assert!(slept >= std::time::Duration::from_secs(300), "{slept:?}");
            println!("slept {} s on the pool's clock", slept.as_secs());
            // Too late now: the pool has started, with these runtimes.
            let error =
                awaitlet::tokio::set_pool_runtime(tokio::runtime::Builder::new_current_thread)
                    .unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "the `spawn_pinned` pool has already started with {} threads; call \
                     `set_pool_runtime` before the first `spawn_pinned` or `#[async_def(send)]` \
                     call",
                    awaitlet::tokio::pool_size()
                )
            );
        }
        Some(other) => unreachable!("{other}"),
    }
}

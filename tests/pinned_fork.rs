//! After `fork`, the child has the `spawn_pinned` pool its parent started but none of its
//! threads: a pinned call there panics, saying why, rather than wait forever. The parent's pool
//! goes on working.
//!
//! In a child process of its own (one test thread, nothing else running when it forks); the forked
//! grandchild ends with an alarm if it hangs.
#![cfg(target_os = "linux")]

mod common;

use std::panic::catch_unwind;

use awaitlet::tokio::spawn_pinned;
use futures::executor::block_on;

use common::{child, panic_message};

#[test]
fn a_pinned_call_after_fork_panics_and_says_why() {
    let test = "a_pinned_call_after_fork_panics_and_says_why";
    match child::case().as_deref() {
        None => {
            let output = child::run(test, "fork", &[]);
            let all = child::describe(&output);
            assert!(output.status.success(), "{all}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("the pool's threads do not survive `fork`"),
                "{all}"
            );
        }
        Some("fork") => {
            assert_eq!(block_on(spawn_pinned(|| 1)).unwrap(), 1);
            // SAFETY: this process runs one test thread; the pool threads it also has are not
            // copied, and the child only calls into awaitlet, prints and exits.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // SAFETY: `alarm` has no preconditions: a hang ends with `SIGALRM`.
                unsafe { libc::alarm(60) };
                let outcome = catch_unwind(|| block_on(spawn_pinned(|| 2)));
                let code = match outcome {
                    Ok(_) => 1,
                    Err(payload) => {
                        eprintln!("the child's call panicked: {}", panic_message(&*payload));
                        0
                    }
                };
                // SAFETY: ends the forked child at once, without running the parent's atexit
                // handlers or the test harness.
                unsafe { libc::_exit(code) };
            }
            let mut status = 0;
            // SAFETY: `pid` is this process's child, and `status` a valid place to write.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "the forked child's pinned call did not panic: wait status {status:#x}"
            );
            assert_eq!(block_on(spawn_pinned(|| 3)).unwrap(), 3);
        }
        Some(other) => unreachable!("unknown case {other}"),
    }
}

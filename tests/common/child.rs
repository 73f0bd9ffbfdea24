//! Tests that need a process of their own (lowered limits, resident-memory accounting, a forced
//! guard-page path) re-run their own test binary for just that test, with an environment variable
//! naming the case; the child runs the case and the parent checks its output.

use std::io::Read;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Names the case a child process runs.
const CASE: &str = "AWAITLET_CHILD_CASE";

/// How long a child may run before it counts as hung and is killed: far longer than any case
/// takes, so only a real hang (the failure some cases guard against) gets there.
const HANG: Duration = Duration::from_secs(120);

/// `Some(case)` in a child process, `None` in the parent.
pub fn case() -> Option<String> {
    std::env::var(CASE).ok()
}

/// Runs `test` of this binary in a child process with `case` and the variables `env`, and
/// returns its output. Panics if the child has not exited after two minutes, after killing it.
pub fn run(test: &str, case: &str, env: &[(&str, &str)]) -> Output {
    let mut command = super::this_test_binary();
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CASE, case)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawning the child process");
    // Read both pipes on threads of their own, so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().unwrap_or_default();
            panic!(
                "the child running `{case}` hung; it was killed after {HANG:?}. stderr:\n{}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The child's stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmSize`, ...).
pub fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))
        .unwrap_or_else(|| panic!("no `{field}` in /proc/self/status"));
    let kib: usize = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a number of kB");
    kib * 1024
}

/// The memory mappings of this process: a line each in `/proc/self/maps`.
pub fn mappings() -> usize {
    let maps = std::fs::read("/proc/self/maps").expect("reading /proc/self/maps");
    maps.iter().filter(|&&byte| byte == b'\n').count()
}

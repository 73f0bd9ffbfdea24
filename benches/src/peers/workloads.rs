//! The workloads of the `peers` bench, each with its contenders: awaitlet, native async, the
//! floor, `stackful` and `generator` (and `SyncIoBridge` for the duplex ping-pong).
//!
//! Every contender but native runs the same generic workload function of this crate with its own
//! [`Bridge`](super::Bridge); native runs the same workload's native variant.

use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::LocalSet;

use super::Awaitlet;
use super::floor::Floor;
use super::generator::Generator;
use super::stackful::Stackful;
use crate::{current_thread_runtime, duplex, multi_thread_runtime, pending_once, pingpong, ready};
use crate::{roundtrip, tasks};

/// The runtimes the workloads run on, built once.
#[derive(Debug)]
pub struct Env {
    /// Without I/O or time drivers (see the crate docs).
    current_thread: Runtime,
    current_thread_local: LocalSet,
    /// As `#[tokio::main(flavor = "current_thread")]` builds it, for the 16 tasks.
    tokio_main: Runtime,
    tokio_main_local: LocalSet,
    /// For `SyncIoBridge`'s `spawn_blocking`.
    multi_thread: Runtime,
}

impl Env {
    /// Builds the runtimes.
    pub fn new() -> Self {
        Env {
            current_thread: current_thread_runtime(),
            current_thread_local: LocalSet::new(),
            tokio_main: tasks::tokio_main_runtime(),
            tokio_main_local: LocalSet::new(),
            multi_thread: multi_thread_runtime(),
        }
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

/// One figure: a workload and the contenders that run it.
pub struct Workload<'a> {
    /// Its id in the results (a criterion group's id where the criterion suite has the same
    /// workload, so that the report can put the two side by side).
    pub id: &'static str,
    /// What it is, in Markdown, lowercase first word.
    pub title: &'static str,
    /// What one operation (one iteration) is.
    pub unit: &'static str,
    /// In the order of the report's columns.
    pub contenders: Vec<Contender<'a>>,
}

/// One contender of a workload: runs `iterations` operations, returns the time they took.
pub struct Contender<'a> {
    /// `awaitlet`, `native`, `floor`, `stackful`, `generator` or `sync_io_bridge`.
    pub id: &'static str,
    /// Runs the given number of operations; returns the time the measured loop took.
    pub run: Box<dyn Fn(u64) -> Duration + 'a>,
}

impl<'a> Contender<'a> {
    fn new(id: &'static str, run: impl Fn(u64) -> Duration + 'a) -> Self {
        Contender {
            id,
            run: Box::new(run),
        }
    }
}

impl std::fmt::Debug for Workload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<_> = self.contenders.iter().map(|c| c.id).collect();
        f.debug_struct("Workload")
            .field("id", &self.id)
            .field("contenders", &ids)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Contender<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contender")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The contenders that run `workload::<Bridge>(args.., iterations)`, for each bridge given:
/// `bridged!({path::to::workload} (args..) [Bridge => "id", ..])`.
macro_rules! bridged {
    ($workload:tt $args:tt [$($bridge:ty => $id:literal),+]) => {
        vec![$(Contender::new($id, move |iterations| {
            call!($workload::<$bridge> $args iterations)
        })),+]
    };
}

/// One call of [`bridged!`]'s, unpacked.
macro_rules! call {
    ({$($workload:ident)::+}::<$bridge:ty> ($($arg:expr),*) $iterations:ident) => {
        $($workload)::+::<$bridge>($($arg,)* $iterations)
    };
}

/// `bridged` with `native` second, after awaitlet.
fn with_native<'a>(mut bridged: Vec<Contender<'a>>, native: Contender<'a>) -> Vec<Contender<'a>> {
    bridged.insert(1, native);
    bridged
}

/// The workloads, each with awaitlet first, native second and the peers after.
pub fn workloads(env: &Env) -> Vec<Workload<'_>> {
    let (ct, ct_local) = (&env.current_thread, &env.current_thread_local);
    let (main, main_local) = (&env.tokio_main, &env.tokio_main_local);
    vec![
        Workload {
            id: "ready",
            title: "an await of a ready future, the loop inside one coroutine",
            unit: "await",
            contenders: with_native(
                bridged!({ready::under} () [Awaitlet => "awaitlet", Floor => "floor",
                    Stackful => "stackful", Generator => "generator"]),
                Contender::new("native", ready::native),
            ),
        },
        Workload {
            id: "pending_once",
            title: "an await of a future that is pending once, in one `spawn_local` task",
            unit: "await",
            contenders: with_native(
                bridged!({pending_once::under} (ct, ct_local) [Awaitlet => "awaitlet",
                    Floor => "floor", Stackful => "stackful", Generator => "generator"]),
                Contender::new("native", |n| pending_once::native(ct, ct_local, n)),
            ),
        },
        Workload {
            id: "pending_once_tasks",
            title: "an await pending once, in 16 `spawn_local` tasks taking turns",
            unit: "await",
            contenders: with_native(
                bridged!({tasks::pending_once::under} (main, main_local) [Awaitlet => "awaitlet",
                    Floor => "floor", Stackful => "stackful", Generator => "generator"]),
                Contender::new("native", |n| {
                    tasks::pending_once::native(main, main_local, n)
                }),
            ),
        },
        Workload {
            id: "roundtrip_pending",
            title: "a round trip: a coroutine created, pending once, finished (native: an \
                async block pending once, awaited in place)",
            unit: "round trip",
            contenders: with_native(
                bridged!({roundtrip::pending} (ct, ct_local) [Awaitlet => "awaitlet",
                    Floor => "floor", Stackful => "stackful", Generator => "generator"]),
                Contender::new("native", |n| roundtrip::pending_native(ct, ct_local, n)),
            ),
        },
        Workload {
            id: "pingpong",
            title: "ping-pong over tokio mpsc(1) channels, the consumer sync code",
            unit: "round trip",
            contenders: with_native(
                bridged!({pingpong::under} (ct, ct_local) [Awaitlet => "awaitlet",
                    Floor => "floor", Stackful => "stackful", Generator => "generator"]),
                Contender::new("native", |n| pingpong::native(ct, ct_local, n)),
            ),
        },
        Workload {
            id: "duplex_pingpong",
            title: "8-byte ping-pong through `std::io` over a tokio duplex pipe",
            unit: "round trip",
            contenders: {
                let mut contenders = vec![
                    Contender::new("awaitlet", |n| duplex::sync_io(ct, ct_local, n)),
                    Contender::new("native", |n| duplex::native(ct, ct_local, n)),
                ];
                contenders.extend(bridged!({duplex::under} (ct, ct_local) [Floor => "floor",
                    Stackful => "stackful", Generator => "generator"]));
                let multi_thread = &env.multi_thread;
                contenders.push(Contender::new("sync_io_bridge", |n| {
                    duplex::sync_io_bridge(multi_thread, n)
                }));
                contenders
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contender_runs_every_workload() {
        let env = Env::new();
        for workload in workloads(&env) {
            let ids: Vec<_> = workload.contenders.iter().map(|c| c.id).collect();
            assert_eq!(
                ids[..5],
                ["awaitlet", "native", "floor", "stackful", "generator"]
            );
            for contender in &workload.contenders {
                // Each workload checks its own values (the echoed numbers, the results).
                (contender.run)(20);
                (contender.run)(20);
            }
        }
    }
}

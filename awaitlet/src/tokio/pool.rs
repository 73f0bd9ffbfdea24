//! The process-wide pool of threads that `spawn_pinned` calls run on.
//!
//! Each thread drives a tokio current-thread runtime (I/O and time drivers on) through a
//! `LocalSet`, and receives calls over an unbounded channel of its own. A call goes to the thread
//! with the fewest live calls (queued or running), counted per thread; ties go to the lowest
//! index, so calls made one after another keep landing on one warm thread, with its stack pool.
//!
//! The pool starts on first use and lives as long as the process: its threads are never joined.
//! When the process exits they stop wherever they are, like any thread still running then, so
//! coroutines suspended on them at that point are not unwound.
//!
//! A child process made by `fork` inherits the pool but none of its threads: a call sent there
//! would wait forever. So a fork handler marks the child, and every pinned call in it panics
//! with a message that says so.

use core::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread;

use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::LocalSet;

/// Work for a pool thread: a closure that spawns one call's task on its `LocalSet`.
pub(crate) type Job = Box<dyn FnOnce(&'static AtomicUsize) + Send>;

/// The pool, once started.
static POOL: OnceLock<Pool> = OnceLock::new();

/// The size set by [`set_pool_size`] before the pool started. Also held while the pool starts,
/// until it is published in [`POOL`], so that a size set concurrently with the first call is
/// either used or refused, never lost.
static CONFIGURED_SIZE: Mutex<Option<NonZeroUsize>> = Mutex::new(None);

/// What [`set_pool_runtime`] gave: makes the runtime builder of each pool thread. Read and
/// written only under `CONFIGURED_SIZE`'s lock, so that it too is used or refused, never lost.
type MakeRuntime = Box<dyn Fn() -> tokio::runtime::Builder + Send + Sync>;
static CONFIGURED_RUNTIME: Mutex<Option<MakeRuntime>> = Mutex::new(None);

/// Set in a child process forked after the pool started, where the pool has no threads.
static FORKED: AtomicBool = AtomicBool::new(false);

/// Run while the pool starts, between reading the configured size and publishing the pool (tests
/// only: they call `set_pool_size` from another thread there).
static START_HOOK: OnceLock<fn()> = OnceLock::new();

struct Pool {
    threads: Box<[PoolThread]>,
}

struct PoolThread {
    jobs: mpsc::UnboundedSender<Job>,
    /// Calls sent to this thread that have not ended yet. Shared with the thread, which hands it
    /// to each call; leaked, like the rest of the pool, which lives as long as the process.
    load: &'static AtomicUsize,
}

/// Runs `job` on the least-loaded pool thread, counting it as a live call there until the call
/// decrements the counter it is given.
///
/// # Panics
///
/// When the pool cannot be started (see [`pool`]).
pub(crate) fn submit(job: Job) {
    let pool = pool();
    let thread = pool
        .threads
        .iter()
        .min_by_key(|thread| thread.load.load(Ordering::Relaxed))
        .expect("the pool has at least one thread");
    thread.load.fetch_add(1, Ordering::Relaxed);
    if thread.jobs.send(job).is_err() {
        // The receiver lives as long as its thread, and pool threads never return.
        unreachable!("an awaitlet pool thread has stopped");
    }
}

/// The pool, started with the configured size on first use.
///
/// # Panics
///
/// When a thread or its runtime cannot be created (out of memory, or a limit on threads), and in
/// a child process forked after the pool started.
fn pool() -> &'static Pool {
    // Checked first: in such a child even the start lock may be held by a thread it lacks.
    if FORKED.load(Ordering::Relaxed) {
        panic!(
            "`awaitlet::tokio::spawn_pinned` called in a process forked after its thread pool \
             started: the pool's threads do not survive `fork`, so the call could never run; \
             make the first pinned call after forking, or use a plain `#[async_def]` here"
        );
    }
    POOL.get().unwrap_or_else(start)
}

#[cold]
fn start() -> &'static Pool {
    // Before anything else: a child forked from here on finds the pool started, or starting, on
    // threads it does not have.
    watch_fork();
    // Held until the pool is published: a concurrent `set_pool_size` either stored its size
    // before, and it is used here, or finds the pool, and is refused unless the sizes agree.
    let configured = CONFIGURED_SIZE
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let pool = POOL.get_or_init(|| {
        let size = configured.map_or_else(default_size, NonZeroUsize::get);
        if let Some(hook) = START_HOOK.get() {
            hook();
        }
        let make_runtime = CONFIGURED_RUNTIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Pool::start(size, make_runtime.as_deref()).unwrap_or_else(|error| {
            panic!("failed to start the `awaitlet::tokio::spawn_pinned` thread pool: {error}")
        })
    });
    drop(configured);
    pool
}

/// Marks a child forked from now on as one whose pool has no threads.
fn watch_fork() {
    #[cfg(unix)]
    {
        extern "C" fn in_child() {
            FORKED.store(true, Ordering::Relaxed);
        }
        static REGISTER: std::sync::Once = std::sync::Once::new();
        REGISTER.call_once(|| {
            // A failure to register (out of memory) only leaves a forked child to hang as it
            // would without the handler, so the result is not needed.
            // SAFETY: `in_child` is a process-lived `extern "C"` fn that only stores an atomic,
            // which is async-signal-safe, as a child handler of a threaded process must be.
            unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        });
    }
}

/// Makes `hook` run while the pool starts, before it is published (tests only). Returns whether
/// it was set: only the first hook is.
pub(crate) fn on_start(hook: fn()) -> bool {
    START_HOOK.set(hook).is_ok()
}

fn default_size() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

impl Pool {
    fn start(
        size: usize,
        make_runtime: Option<&(dyn Fn() -> tokio::runtime::Builder + Send + Sync)>,
    ) -> io::Result<Pool> {
        let threads = (0..size)
            .map(|index| PoolThread::start(index, make_runtime))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Pool {
            threads: threads.into_boxed_slice(),
        })
    }
}

impl PoolThread {
    fn start(
        index: usize,
        make_runtime: Option<&(dyn Fn() -> tokio::runtime::Builder + Send + Sync)>,
    ) -> io::Result<PoolThread> {
        let mut builder = match make_runtime {
            Some(make_runtime) => make_runtime(),
            None => {
                let mut builder = tokio::runtime::Builder::new_current_thread();
                builder.enable_all();
                builder
            }
        };
        // Built here rather than on the new thread, so that a failure is reported to the caller.
        let runtime = builder.build()?;
        let (jobs, receiver) = mpsc::unbounded_channel();
        let load: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        thread::Builder::new()
            .name(format!("awaitlet-pinned-{index}"))
            .spawn(move || run(runtime, receiver, load))?;
        Ok(PoolThread { jobs, load })
    }
}

/// The body of a pool thread: runs every job it receives on its `LocalSet`, forever.
fn run(runtime: Runtime, mut jobs: mpsc::UnboundedReceiver<Job>, load: &'static AtomicUsize) {
    let local = LocalSet::new();
    local.block_on(&runtime, async move {
        while let Some(job) = jobs.recv().await {
            job(load);
        }
    });
}

/// Sets how many threads the pool of [`spawn_pinned`](crate::tokio::spawn_pinned) starts with.
///
/// The pool starts on the first `spawn_pinned` call (or `#[async_def(send)]` call), with one
/// thread per available core ([`std::thread::available_parallelism`]) unless this was called
/// before. Its size is fixed from then on: a later call with the same size is `Ok`, any other
/// size is an error.
///
/// ```
/// // At the start of `main`, before anything uses the pool.
/// awaitlet::tokio::set_pool_size(4).unwrap();
/// assert_eq!(awaitlet::tokio::pool_size(), 4);
/// ```
///
/// # Panics
///
/// When `threads` is zero.
pub fn set_pool_size(threads: usize) -> Result<(), PoolStarted> {
    let threads = NonZeroUsize::new(threads)
        .unwrap_or_else(|| panic!("`set_pool_size` needs at least one thread, not zero"));
    let mut configured = CONFIGURED_SIZE
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match POOL.get() {
        Some(pool) if pool.threads.len() != threads.get() => Err(PoolStarted {
            size: pool.threads.len(),
            setting: "set_pool_size",
        }),
        Some(_) => Ok(()),
        None => {
            *configured = Some(threads);
            Ok(())
        }
    }
}

/// Sets how each pool thread builds its tokio runtime, before the pool starts.
///
/// By default each thread of the pool of [`spawn_pinned`](crate::tokio::spawn_pinned) drives
/// `Builder::new_current_thread().enable_all().build()`, with a clock of its own. `make` is called
/// once per pool thread, on the thread that starts the pool, and the builder it returns is built
/// there. Enable whatever the sync code uses (`enable_all()`); a current-thread builder keeps each
/// call's `tokio::spawn` on its own pool thread.
///
/// The one use this is made for: tests of `#[async_def(send)]` code with a paused clock. A pool
/// runtime started paused (tokio's `test-util` feature) advances its clock whenever it has nothing
/// else to do, as `#[tokio::test(start_paused = true)]` does for the test's own runtime, so a
/// five-minute `sleep` in a `send` body returns at once. Like [`set_pool_size`], it must be called
/// before the first pinned call of the process, so in a test binary whose tests share one pool,
/// call it first thing in every test (a later call after the pool started returns the error).
///
/// ```
/// use std::time::Duration;
///
/// #[awaitlet::async_def(send)]
/// fn retry_later() -> u32 {
///     awaitlet::awaitlet!(tokio::time::sleep(Duration::from_secs(300)));
///     7
/// }
///
/// # #[tokio::main] async fn main() {
/// // Requires tokio's `test-util` feature, for `start_paused`.
/// let _ = awaitlet::tokio::set_pool_runtime(|| {
///     let mut builder = tokio::runtime::Builder::new_current_thread();
///     builder.enable_all().start_paused(true);
///     builder
/// });
/// assert_eq!(retry_later().await, 7); // at once, not in five minutes
/// # }
/// ```
///
/// # Errors
///
/// [`PoolStarted`] when the pool has already started: its threads keep the runtimes they have.
pub fn set_pool_runtime<F>(make: F) -> Result<(), PoolStarted>
where
    F: Fn() -> tokio::runtime::Builder + Send + Sync + 'static,
{
    // The start lock: the pool either starts after this, with `make`, or had started before.
    let _configured = CONFIGURED_SIZE
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(pool) = POOL.get() {
        return Err(PoolStarted {
            size: pool.threads.len(),
            setting: "set_pool_runtime",
        });
    }
    *CONFIGURED_RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(make));
    Ok(())
}

/// How many threads the pool of [`spawn_pinned`](crate::tokio::spawn_pinned) has, or will start
/// with if no call has started it yet.
pub fn pool_size() -> usize {
    match POOL.get() {
        Some(pool) => pool.threads.len(),
        None => {
            let configured = CONFIGURED_SIZE
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            configured.map_or_else(default_size, NonZeroUsize::get)
        }
    }
}

/// The error of [`set_pool_size`] and [`set_pool_runtime`]: the pool had already started (with
/// another size, for `set_pool_size`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolStarted {
    size: usize,
    /// The function that came too late, for the message.
    setting: &'static str,
}

impl PoolStarted {
    /// The number of threads the pool runs with.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl fmt::Display for PoolStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the `spawn_pinned` pool has already started with {} threads; call `{}` before the \
             first `spawn_pinned` or `#[async_def(send)]` call",
            self.size, self.setting
        )
    }
}

impl std::error::Error for PoolStarted {}

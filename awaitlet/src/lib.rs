//! Call async code from plain sync functions, without colouring everything in between.
//!
//! Porting a blocking program to async usually means adding `async` and `.await` to every function
//! between the front end and the I/O, including layers that never touch I/O themselves. awaitlet
//! runs that middle layer, unchanged, on a stackful coroutine: mark the sync entry point with
//! [`#[async_def]`](macro@async_def), write [`awaitlet!`] at the bottom where the I/O is now async,
//! and every function in between stays exactly as it was. It is the Rust counterpart of Python's
//! `awaitlet` (SQLAlchemy's asyncio layer) and `greenback`.
//!
//! ```
//! use awaitlet::{async_def, awaitlet};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use tokio::net::{TcpListener, TcpStream};
//!
//! // Unchanged, blocking-style middle layer: no async, no .await.
//! fn send_receive_logic(
//!     msg: &str,
//!     implementation: impl Fn(String) -> std::io::Result<String>,
//! ) -> std::io::Result<String> {
//!     implementation(format!("message number {msg}\n"))
//! }
//!
//! // New async back end.
//! async fn async_echo(addr: std::net::SocketAddr, line: String) -> std::io::Result<String> {
//!     let mut stream = TcpStream::connect(addr).await?;
//!     stream.write_all(line.as_bytes()).await?;
//!     let mut reply = String::new();
//!     BufReader::new(stream).read_line(&mut reply).await?;
//!     Ok(reply)
//! }
//!
//! // New async front end: its body runs on a coroutine stack.
//! #[async_def]
//! fn send_receive_api(addr: std::net::SocketAddr, msg: String) -> std::io::Result<String> {
//!     send_receive_logic(&msg, |line| awaitlet!(async_echo(addr, line)))
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> std::io::Result<()> {
//!     // A one-line echo server on loopback.
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     tokio::spawn(async move {
//!         while let Ok((stream, _)) = listener.accept().await {
//!             tokio::spawn(async move {
//!                 let (read, mut write) = stream.into_split();
//!                 let mut line = String::new();
//!                 BufReader::new(read).read_line(&mut line).await?;
//!                 write.write_all(line.as_bytes()).await
//!             });
//!         }
//!     });
//!
//!     let calls = ["one", "two", "three"].map(|m| send_receive_api(addr, m.to_string()));
//!     for reply in futures::future::join_all(calls).await {
//!         print!("Got back echo response: {}", reply?);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! The rules: await with `awaitlet!(future)`, never `.await`, in the body and everything it calls
//! (that is sync code); take owned arguments (`String`, not `&str`; `self`, `self: Arc<Self>`,
//! not `&self`), and note that every type parameter of an `#[async_def]` fn gets an implied
//! `'static` bound, so a generic fn cannot be called with a reference; and call `awaitlet!` only
//! inside an `async_def`, where it can suspend: anywhere else it panics, saying why.
//!
//! # Where an `AsyncDef` can run
//!
//! An [`AsyncDef`] stays on the thread that first polls it. Await it (or a `join_all` of many) in
//! the task you are in, which works on any runtime, including in the body of `#[tokio::main]` on
//! the multi-thread runtime; spawn it with `spawn_local` on a `tokio::task::LocalSet` (tokio's
//! `spawn_local` panics outside one); or drive it with `futures::executor` or any other
//! executor. Where a `Send` future is needed (`tokio::spawn` on the multi-thread runtime, an axum
//! handler), use `#[async_def(send)]` or [`tokio::spawn_pinned`] (feature `tokio`).
//!
//! # Sharing one resource between concurrent calls
//!
//! Concurrent calls interleave at every `awaitlet!`, as tasks do at every `.await`, so a resource
//! that one call holds across an `awaitlet!` is held while the others run: a `RefCell` borrowed
//! across it makes the next call panic with "already borrowed", and a `std::sync::Mutex` makes it
//! block the very thread the first call needs. Use [`sync::Mutex`] or [`sync::RwLock`] (feature
//! `sync`, on by default) instead: `std::sync`'s API, so porting means changing one `use` line,
//! but a contended lock suspends a coroutine through `awaitlet!` (the other calls, the holder
//! among them, run meanwhile) and blocks a plain thread, both contending for the same lock. A
//! panic while it is held poisons it, as in `std`; a cancellation does not.
//!
// The example needs the `sync` feature; without it, it is shown but not compiled.
#![cfg_attr(feature = "sync", doc = "```")]
#![cfg_attr(not(feature = "sync"), doc = "```ignore")]
//! use std::rc::Rc;
//!
//! use awaitlet::sync::Mutex; // was: use std::sync::Mutex;
//! use awaitlet::{async_def, awaitlet};
//!
//! /// A blocking-style connection that handles one request at a time.
//! #[derive(Default)]
//! struct Connection {
//!     requests: Vec<String>,
//! }
//!
//! impl Connection {
//!     fn request(&mut self, line: &str) -> usize {
//!         awaitlet!(tokio::task::yield_now()); // the I/O: other calls run meanwhile
//!         self.requests.push(line.to_string());
//!         self.requests.len()
//!     }
//! }
//!
//! #[async_def]
//! fn call(connection: Rc<Mutex<Connection>>, line: String) -> usize {
//!     let mut connection = connection.lock().unwrap();
//!     connection.request(&line)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let connection = Rc::new(Mutex::new(Connection::default()));
//!     let calls = ["a", "b", "c"].map(|line| call(Rc::clone(&connection), line.to_string()));
//!     let mut numbers = futures::future::join_all(calls).await;
//!     numbers.sort();
//!     assert_eq!(numbers, [1, 2, 3]);
//! }
//! ```
//!
//! An async mutex awaited explicitly (`awaitlet!(mutex.lock())` on a `tokio::sync::Mutex`) works
//! too, but only inside an `async_def`.
//!
//! # How it works
//!
//! `#[async_def] fn f(args) -> R { body }` becomes `async fn f(args) -> R`, whose future moves
//! `body` into a closure and runs it on a fresh coroutine stack (an [`AsyncDef`]). Polling the
//! future switches to that stack and runs the sync code until it returns or until an `awaitlet!`
//! finds its future pending; then the coroutine is suspended, with its whole call chain intact,
//! and the poll returns `Pending`. The next poll switches back and the `awaitlet!` polls again,
//! with the task's own waker: no thread, no channel, no allocation per await.
//!
//! The functional forms are [`async_def()`], [`awaitlet()`], [`try_awaitlet`] and [`Builder`].
//! [`portal()`] runs a future on a coroutine instead, so that sync code its async code calls can
//! await (greenback's `with_portal_run`).
//!
//! # Features
//!
//! - `tokio`: the [`tokio`] module. A way in from `Send` code: [`tokio::spawn_pinned`] and
//!   `#[async_def(send)]` run the coroutine on a thread of a pool and hand back a `Send` handle.
//!   And `awaitlet::tokio::SyncIo`, which makes tokio's async I/O objects `std::io::Read`,
//!   `BufRead`, `Write` and `Seek` for the sync code, each call awaiting through `awaitlet!`.
//! - `futures-io`: `awaitlet::futures_io::SyncIo`, the same over the `futures-io` traits.
//! - `stream` (on by default): `awaitlet::iter`, which makes a `Stream` an `Iterator`.
//! - `sync` (on by default): [`sync::Mutex`] and [`sync::RwLock`], `std::sync`'s locks for code
//!   that runs both on coroutines, where waiting suspends, and on plain threads, where it blocks.
//! - `tracing`: spans entered on a coroutine stay with it. Sync code that holds
//!   `let _guard = span.enter();` or runs in an `#[instrument]` fn across an `awaitlet!` leaves
//!   that span on the thread's span stack while the coroutine is suspended, so without this
//!   feature every call or task that runs on the thread meanwhile logs inside it. With it, each
//!   suspension exits the spans the coroutine entered (innermost first) and each resume enters
//!   them again, on every path that suspends (`awaitlet!`, `try_awaitlet`, `SyncIo`, `iter`,
//!   nested coroutines) and when a cancellation unwinds the stack, so each span is exited once
//!   for each time it was entered. `#[async_def(send)]` and [`tokio::spawn_pinned`] calls carry
//!   the caller's current span to the pool thread, as `Instrument` does for a spawned task. It
//!   needs a subscriber that reports the current span (`tracing-subscriber`'s `Registry` and
//!   `fmt` do); with no subscriber it costs one load per suspension and resume.
//!
//! # Safety and limitations
//!
//! - [`AsyncDef`] is `!Send`: a suspended stack can hold `!Send` values, so it stays on the
//!   thread that created it. Use a current-thread runtime, a `LocalSet`, or `futures::executor`;
//!   from `Send` code (`tokio::spawn`, axum), `#[async_def(send)]` and [`tokio::spawn_pinned`]
//!   run the coroutine on a pool thread and hand back a `Send` handle.
//! - Captures are `'static`: any future can be leaked after a poll, and a leaked coroutine never
//!   finishes its frames, so the safe API takes owned data, like `tokio::spawn`.
//!   [`async_def_unchecked`] takes a borrowing closure, `unsafe`, for callers who guarantee no leak.
//! - Panics cross the boundary both ways with their payloads; dropping a suspended future unwinds
//!   its stack, running every destructor once. See [`AsyncDef`] for the details, including
//!   `panic = "abort"`.
//! - Each coroutine has a fixed-size, guarded stack ([`Builder::stack_size`], 1 MiB by default).
//! - Blocking bridges do not nest: inside a coroutine, tokio's `Handle::block_on` and tokio-util's
//!   `SyncIoBridge` panic with "Cannot start a runtime from within a runtime", because the
//!   coroutine runs inside a task's poll. Await futures with [`awaitlet!`] instead, and read and
//!   write through `awaitlet::tokio::SyncIo`. In debug builds, that panic gets a hint saying so.
//! - **Scoped thread-locals must not be held across `awaitlet!`. This is the one known unsound
//!   combination.** A scoped thread-local (the `scoped-tls` crate, `scoped_thread_local!`, or any
//!   code that keeps a pointer to its own stack in a thread-local for the duration of a closure)
//!   puts the previous pointer back when the closure returns. Two coroutines on one thread that
//!   each `awaitlet!` inside such a scope can finish out of order. The thread-local is then left
//!   pointing into a finished frame, and the next read is a use-after-free. awaitlet cannot detect
//!   it: the thread-local is private to its crate, and nothing about it is visible at a
//!   suspension. This is inherent to stackful coroutines. `tokio::task_local!` is safe, because its
//!   scopes belong to a future.
//! - **A `Drop` that needs I/O** (a network `ROLLBACK`) cannot await while a cancellation unwinds
//!   the stack. Try [`try_awaitlet`] first, and if it refuses, spawn the future it hands back as a
//!   task: `if let Err(refused) = try_awaitlet(rollback) { tokio::spawn(refused.into_inner()); }`.
//! - **axum handlers need `#[async_def(send)]`.** A plain `#[async_def]` fn's future is not `Send`,
//!   and axum rejects it with "the trait `Handler<_, _>` is not implemented", without a word about
//!   `Send`.
//! - **Attribute order.** Put `#[async_def]` above `#[tokio::main]`, `#[tokio::test]` and
//!   `#[tracing::instrument]`. It expands first, so tokio's attributes see the `async fn` they
//!   need (the other order stops with "the `async` keyword is missing"), and `instrument` makes
//!   its span when the fn is called, as for any `async fn`. Above `#[async_def]`, `instrument`
//!   makes the span inside the coroutine instead, when the body first runs.
//! - **Per-call context.** With the `tracing` feature, spans follow their coroutine (see
//!   Features). A `send` call sees its caller's span, but not its task-locals or its clock:
//!   `tokio::time::pause` does not reach the pool's runtimes. Test such code through a plain
//!   `#[async_def]` fn on the test's own runtime, or start the pool's runtimes paused with
//!   `awaitlet::tokio::set_pool_runtime`.
// The `tokio` module only exists with its feature; without it, its links point at docs.rs.
#![cfg_attr(
    not(feature = "tokio"),
    doc = "",
    doc = "[`tokio`]: https://docs.rs/awaitlet/latest/awaitlet/tokio/index.html",
    doc = "[`tokio::spawn_pinned`]: https://docs.rs/awaitlet/latest/awaitlet/tokio/fn.spawn_pinned.html"
)]
#![cfg_attr(
    not(feature = "sync"),
    doc = "",
    doc = "[`sync::Mutex`]: https://docs.rs/awaitlet/latest/awaitlet/sync/struct.Mutex.html",
    doc = "[`sync::RwLock`]: https://docs.rs/awaitlet/latest/awaitlet/sync/struct.RwLock.html"
)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod context;
mod future;
#[cfg(feature = "stream")]
mod iter;
mod overflow;
mod portal;
mod send;
#[cfg(feature = "tracing")]
mod spans;
mod stack;
mod suspend;
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub mod sync;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod sync_io;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

/// Adapters for the `futures-io` traits: [`SyncIo`](futures_io::SyncIo), blocking `std::io`
/// over them.
#[cfg(feature = "futures-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
pub mod futures_io {
    pub use crate::sync_io::futures_io::SyncIo;
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::builder::Builder;
pub use crate::future::AsyncDef;
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub use crate::iter::{Iter, iter};
pub use crate::stack::DEFAULT_STACK_SIZE;
pub use crate::suspend::{NotInAsyncDef, awaitlet, in_async_def, try_awaitlet};

/// Turns a sync fn into an async fn whose body runs on a coroutine, where [`awaitlet!`] can await.
///
/// ```
/// use awaitlet::{async_def, awaitlet};
///
/// fn middle_layer(n: u32, fetch: impl Fn(u32) -> u32) -> u32 {
///     fetch(n) + fetch(n + 1) // plain sync code
/// }
///
/// #[async_def]
/// fn api(n: u32) -> u32 {
///     middle_layer(n, |i| awaitlet!(async move { i * 10 }))
/// }
///
/// assert_eq!(futures::executor::block_on(api(1)), 30);
/// ```
///
/// The fn may be a free fn, an inherent method or a trait-impl method with an owned receiver
/// (`self`, `self: Box<Self>`, `self: Rc<Self>`, `self: Arc<Self>`), generic, with `where`
/// clauses, `impl Trait` and pattern arguments; `?`, `return`, doc comments and other attributes
/// work as usual. Arguments must be owned (`'static`), because the coroutine may outlive any
/// borrow (see [`AsyncDef`]); every type parameter of the fn, and every `impl Trait` argument, gets an implied `'static`
/// bound (a type parameter of an enclosing `impl` needs its own).
///
/// On an `async fn`, the body runs in a [`portal`](portal()): it may `.await` as usual, and
/// call sync code that awaits with `awaitlet!`, handing it borrowed locals. The arguments follow
/// the same rules.
///
/// ```
/// use awaitlet::{async_def, awaitlet};
///
/// // Unchanged sync layer with borrowed state; its bottom awaits.
/// fn count_words(seen: &mut usize, line: &str) -> usize {
///     *seen += awaitlet!(async { line.split_whitespace().count() });
///     *seen
/// }
///
/// #[async_def]
/// async fn api(lines: Vec<String>) -> usize {
///     let mut seen = 0;
///     for line in &lines {
///         futures::future::ready(()).await;
///         count_words(&mut seen, line);
///     }
///     seen
/// }
///
/// assert_eq!(futures::executor::block_on(api(vec!["a b".into(), "c".into()])), 3);
/// ```
///
/// Arguments: `#[async_def(stack_size = N, assert_await_occurs, send, crate = path)]`.
/// `stack_size` and `assert_await_occurs` are the settings of [`Builder`]; `crate = path` names
/// this crate where it is re-exported or renamed; `send` (feature `tokio`) makes the future
/// `Send`, by running the body through [`tokio::spawn_pinned`] on a pool thread: every argument
/// and the return type must then be `Send`. A panic in the body then resumes in the awaiter, as
/// without `send`; dropping the future cancels the call, whose coroutine is unwound on its pool
/// thread soon after the drop returns (see [`tokio`]). On an `async fn`, `send` makes the body's
/// future on the pool thread and polls it there in a portal
/// ([`tokio::spawn_pinned_portal`]), so the body may hold `!Send` values across `.await`: only
/// the arguments and the output cross threads.
///
/// # Equivalent code
///
/// ```ignore
/// #[async_def]
/// fn api(n: u32) -> u32 { body }
/// // becomes
/// async fn api(n: u32) -> u32 {
///     ::awaitlet::Builder::new().async_def(move || -> u32 { body }).await
/// }
///
/// #[async_def]
/// async fn api(n: u32) -> u32 { body }
/// // becomes
/// async fn api(n: u32) -> u32 {
///     ::awaitlet::Builder::new().portal(async move { body }).await
/// }
///
/// #[async_def(send)]
/// fn api(mut n: u32) -> u32 { body }
/// // becomes, in effect (each argument is checked to be `Send` where it is declared)
/// async fn api(n: u32) -> u32 {
///     let handle = ::awaitlet::Builder::new().spawn_pinned(move || -> u32 { let mut n = n; body });
///     // aborts the call if dropped; resumes the body's panic
///     abort_on_drop(handle).await
/// }
/// ```
#[cfg_attr(
    not(feature = "tokio"),
    doc = "",
    doc = "[`tokio`]: https://docs.rs/awaitlet/latest/awaitlet/tokio/index.html",
    doc = "[`tokio::spawn_pinned`]: https://docs.rs/awaitlet/latest/awaitlet/tokio/fn.spawn_pinned.html",
    doc = "[`tokio::spawn_pinned_portal`]: https://docs.rs/awaitlet/latest/awaitlet/tokio/fn.spawn_pinned_portal.html"
)]
#[doc(inline)]
pub use awaitlet_macros::async_def;

/// Awaits a future from sync code running inside an [`async_def`](macro@async_def), and evaluates
/// to its output.
///
/// `awaitlet!(expr)` accepts anything `expr.await` would ([`IntoFuture`](core::future::IntoFuture))
/// and is checked at compile time. It may be called at any depth of plain sync functions below an
/// `async_def`. See [`awaitlet()`] for what it does and when it panics.
///
/// ```
/// use awaitlet::awaitlet;
///
/// fn read_config() -> String {
///     awaitlet!(async { String::from("verbose = true") })
/// }
///
/// let fut = awaitlet::async_def(read_config);
/// assert_eq!(futures::executor::block_on(fut), "verbose = true");
/// ```
#[macro_export]
macro_rules! awaitlet {
    ($($input:tt)*) => {{
        // The expansion names the crate through this alias, spanned at the user's tokens, so
        // rustc's errors point at the future rather than into this macro.
        use $crate::__private as __awaitlet_crate;
        $crate::__private::awaitlet! { [__awaitlet_crate] $($input)* }
    }};
}

/// Runs `f` on a new coroutine; the returned future completes with what `f` returns.
///
/// Inside `f`, at any depth, [`awaitlet!`] awaits futures. `f` and its result are `'static`: see
/// [`AsyncDef`] for why, and [`async_def_unchecked`] for the borrowing form.
///
/// ```
/// let fut = awaitlet::async_def(|| awaitlet::awaitlet(async { "hello" }));
/// assert_eq!(futures::executor::block_on(fut), "hello");
/// ```
///
/// # Panics
///
/// When the coroutine stack cannot be mapped; [`Builder::try_async_def`] returns that error.
#[track_caller]
pub fn async_def<F, R>(f: F) -> AsyncDef<R>
where
    F: FnOnce() -> R + 'static,
    R: 'static,
{
    Builder::new().async_def(f)
}

/// Like [`async_def()`], for a closure that borrows from its surroundings.
///
/// # Safety
///
/// ## Caller
///
/// - The future must be run to completion or dropped before anything `f` borrows goes out of
///   scope. (The returned type carries no lifetime, so the compiler cannot check this.)
/// - Once polled, the future must never be leaked (`mem::forget`, an `Rc` cycle, a leaked
///   `Box::pin`): a leaked coroutine never finishes its frames, and sync code may rely on them
///   finishing before borrowed data dies. For instance
///   `std::thread::scope(|s| { s.spawn(|| use_it(&borrowed)); awaitlet!(fut) })` leaked at the
///   `awaitlet!` leaves the spawned thread using `borrowed` after it is freed.
/// - Built with `panic = "abort"`, dropping such a future while it is suspended aborts the process,
///   because its stack can neither be unwound nor soundly leaked.
///
/// ```
/// let names = vec!["a".to_string(), "b".to_string()];
/// // SAFETY: the future is awaited to completion right here, while `names` is alive.
/// let fut = unsafe { awaitlet::async_def_unchecked(|| names.join(",")) };
/// assert_eq!(futures::executor::block_on(fut), "a,b");
/// ```
///
/// # Panics
///
/// When the coroutine stack cannot be mapped.
#[track_caller]
pub unsafe fn async_def_unchecked<F, R>(f: F) -> AsyncDef<R>
where
    F: FnOnce() -> R,
{
    // SAFETY: our caller takes on exactly the contract that `Builder::async_def_unchecked` states.
    unsafe { Builder::new().async_def_unchecked(f) }
}

/// Polls `future` on a new coroutine, where sync code that the future calls can
/// [`awaitlet!`]: greenback's `with_portal_run`.
///
/// An `async fn` that calls a sync layer whose bottom awaits can pass that layer whatever it has,
/// borrowed from its own locals: the whole future runs on the portal's stack.
///
/// ```
/// use awaitlet::awaitlet;
///
/// struct Session {
///     requests: u32,
/// }
///
/// // Unchanged sync layer, with borrowed state; its bottom awaits.
/// fn handle(session: &mut Session, line: &str) -> String {
///     session.requests += 1;
///     let reply = awaitlet!(async { line.to_uppercase() });
///     format!("{}: {reply}", session.requests)
/// }
///
/// // New async handler: calls the sync layer directly, with `&mut` to its local.
/// async fn handler(lines: Vec<String>) -> Vec<String> {
///     let mut session = Session { requests: 0 };
///     let mut replies = Vec::new();
///     for line in &lines {
///         futures::future::ready(()).await; // async code, as usual
///         replies.push(handle(&mut session, line));
///     }
///     replies
/// }
///
/// let fut = awaitlet::portal(handler(vec!["a".into(), "b".into()]));
/// assert_eq!(futures::executor::block_on(fut), ["1: A", "2: B"]);
/// ```
///
/// The future is polled on the portal's stack with a `Context` of its own, which stays valid
/// while the coroutine is suspended; its waker wakes whichever task polled the portal last, so
/// the portal may move between tasks (`FuturesUnordered`, a `select!` loop). On that stack
/// `awaitlet!` suspends from anywhere: sync code called by the future's `async` code, sync code
/// in a hand-written `Future::poll`, an `async` block awaited with `.await` or handed to
/// `awaitlet!`. (In an [`async_def()`], `awaitlet!` refuses inside a poll, because the poller's
/// context dies when the poll returns.) The future and its output are `'static`, as for
/// [`async_def()`] and for the same reason; what the future borrows from its own locals is
/// fine.
///
/// It is an [`AsyncDef`], with the same guarantees: `!Send`; dropping it while it is suspended
/// unwinds its stack, the frames of the poll it was suspended in first, then the future, every
/// destructor once; a panic comes out of `poll` with its payload; polling it after it finished
/// panics. A portal costs at most one allocation (its waker's cell) besides the stack, and none
/// per poll: a finished portal leaves its cell to the next one on the same thread, unless a clone
/// of its waker is still alive.
///
/// What a portal exposes that an `async_def` does not: thread-local state set inside a poll
/// stays set while the portal is suspended in that poll, and other tasks on the thread see it.
/// A tokio task-local scope (`LocalKey::scope`), a span entered by `Instrument`, a `RefCell`
/// borrowed across the poll: each is left in place when an `awaitlet!` inside it suspends, so
/// another task polled next may find the task-local set, run in the wrong span, or panic with
/// "already borrowed". Scoped thread-locals that point into the stack are worse (see the crate
/// docs' "Safety and limitations"). Keep sync code that reaches an `awaitlet!` out of such
/// scopes.
///
/// Like every `AsyncDef`, a portal is `!Send`, whatever its future is:
///
/// ```compile_fail
/// fn require_send<T: Send>(_: T) {}
/// require_send(awaitlet::portal(async { 1 }));
/// ```
///
/// # Panics
///
/// When the coroutine stack cannot be mapped; [`Builder::try_portal`] returns that error.
#[track_caller]
pub fn portal<F>(future: F) -> AsyncDef<F::Output>
where
    F: core::future::Future + 'static,
    F::Output: 'static,
{
    Builder::new().portal(future)
}

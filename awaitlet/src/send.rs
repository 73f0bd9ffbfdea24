//! What `#[async_def(send)]` expands to: the body goes through [`spawn_send`], and each argument
//! through [`sendable`] on its way into the body's closure. Re-exported by `__private`; not public
//! API.
//!
//! Without the `tokio` feature, [`spawn_send`] exists only to say that `send` needs it.
//!
//! The point of [`Sendable`] is the compile error. Were the closure to capture the arguments as
//! they are, a non-`Send` argument would fail twice: once where the expansion checks it, and once
//! more, in rustc's words, at the closure that captures it. Checked one by one by [`sendable`],
//! each failure is one error, in our words, at the argument itself.

/// The bound [`sendable`] checks, worded for the user. `Send` is its supertrait, so every type
/// that has it is `Send`.
#[diagnostic::on_unimplemented(
    message = "`#[async_def(send)]` needs `Send` arguments: `{Self}` cannot be sent between threads safely",
    label = "not `Send`",
    note = "with `send`, the body runs on a thread of the `awaitlet::tokio` pool, so every argument \
            moves to that thread; pass `Send` values (an `Arc` for an `Rc`, a `tokio::sync::Mutex` \
            for a `RefCell`), or drop `send` and run the future on a current-thread runtime or a \
            `LocalSet`"
)]
pub trait SendArgument: Send {}

impl<T: Send + ?Sized> SendArgument for T {}

/// The bound [`spawn_send`] puts on the body's output, worded for the user.
#[cfg(feature = "tokio")]
#[diagnostic::on_unimplemented(
    message = "`#[async_def(send)]` needs a `Send` return type: `{Self}` cannot be sent between threads safely",
    label = "not `Send`",
    note = "with `send`, the body runs on a thread of the `awaitlet::tokio` pool, and what it \
            returns moves back to the caller's thread"
)]
pub trait SendOutput: Send {}

#[cfg(feature = "tokio")]
impl<T: Send + ?Sized> SendOutput for T {}

/// An argument on its way into the body's closure, checked to be `Send` by [`sendable`].
pub struct Sendable<T>(T);

// SAFETY: a `Sendable<T>` is only made by `sendable` (the field is private), whose bound
// `T: SendArgument` has `Send` as a supertrait. So a value of this type exists only for `Send`
// types `T`, for which the automatic impl would say the same; for any other `T` no value can be
// made, and the program is already rejected at `sendable`. This impl only spares that program a
// second error, about the closure that captures the value.
unsafe impl<T> Send for Sendable<T> {}

/// Checks that an argument of an `#[async_def(send)]` fn is `Send`, reporting it at the argument.
#[inline]
pub fn sendable<T: SendArgument>(value: T) -> Sendable<T> {
    Sendable(value)
}

impl<T> core::fmt::Debug for Sendable<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sendable").finish_non_exhaustive()
    }
}

impl<T> Sendable<T> {
    /// The argument, in the body's closure on the pool thread.
    #[inline]
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[cfg(feature = "tokio")]
pub use self::pinned::{spawn_send, spawn_send_portal};

#[cfg(feature = "tokio")]
mod pinned {
    use core::fmt;
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll, ready};

    use super::SendOutput;
    use crate::Builder;
    use crate::tokio::JoinHandle;

    /// Runs the body of an `#[async_def(send)]` fn on a pool thread. (The `()` stands for the word
    /// `send`, for the error that the version without the `tokio` feature gives.)
    pub fn spawn_send<F, R>(_send: (), builder: Builder, body: F) -> SendCall<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: SendOutput + 'static,
    {
        SendCall {
            handle: builder.spawn_pinned(body),
        }
    }

    /// Runs the body of an `#[async_def(send)] async fn` on a pool thread, in a portal: `make`
    /// makes the body's future there, which need not be `Send`.
    pub fn spawn_send_portal<F, Fut>(_send: (), builder: Builder, make: F) -> SendCall<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: SendOutput + 'static,
    {
        SendCall {
            handle: builder.spawn_pinned_portal(make),
        }
    }

    /// The pinned call behind an `#[async_def(send)]` fn's future: it resumes the body's panic in the
    /// awaiter, and aborts the call when dropped.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct SendCall<R> {
        handle: JoinHandle<R>,
    }

    impl<R> Future for SendCall<R> {
        type Output = R;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
            match ready!(Pin::new(&mut self.handle).poll(cx)) {
                Ok(output) => Poll::Ready(output),
                Err(error) => match error.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    // Only `Drop` below aborts the handle, after which nobody polls it; this is a call
                    // whose pool thread went away, which pool threads never do.
                    Err(error) => {
                        panic!("an `#[async_def(send)]` call ended without returning: {error}")
                    }
                },
            }
        }
    }

    impl<R> Drop for SendCall<R> {
        fn drop(&mut self) {
            self.handle.abort();
        }
    }

    impl<R> fmt::Debug for SendCall<R> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendCall")
                .field("handle", &self.handle)
                .finish()
        }
    }
}

/// Stands in for `spawn_send` without the `tokio` feature, to say that `send` needs it.
#[cfg(not(feature = "tokio"))]
#[diagnostic::on_unimplemented(
    message = "`#[async_def(send)]` needs the `tokio` feature of `awaitlet`",
    label = "`send` runs the body on `awaitlet::tokio`'s thread pool",
    note = "enable it in Cargo.toml: `awaitlet = {{ version = \"0.1\", features = [\"tokio\"] }}`"
)]
pub trait TokioFeature {}

/// Without the `tokio` feature, `#[async_def(send)]` fails to compile here, at the `()` the
/// expansion spans at the word `send`: nothing implements `TokioFeature`.
#[cfg(not(feature = "tokio"))]
pub fn spawn_send<S, F, R>(_send: S, _: crate::Builder, _: F) -> core::future::Pending<R>
where
    S: TokioFeature,
    F: FnOnce() -> R,
{
    panic!("`#[async_def(send)]` needs the `tokio` feature of `awaitlet`")
}

/// `spawn_send` for an `async fn`, without the `tokio` feature: fails to compile in the same way.
#[cfg(not(feature = "tokio"))]
pub fn spawn_send_portal<S, F, Fut>(
    _send: S,
    _: crate::Builder,
    _: F,
) -> core::future::Pending<Fut::Output>
where
    S: TokioFeature,
    F: FnOnce() -> Fut,
    Fut: core::future::Future,
{
    panic!("`#[async_def(send)]` needs the `tokio` feature of `awaitlet`")
}

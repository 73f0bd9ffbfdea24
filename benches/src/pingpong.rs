//! Message ping-pong over a pair of tokio mpsc channels of capacity 1: a native async producer
//! sends a number and waits for it to come back; the consumer, whose kind is what is compared,
//! sends each number back.
//!
//! - [`native`]: the consumer is an async task.
//! - [`under_awaitlet`]: the consumer is plain sync code, [`sync_consumer`], calling
//!   `awaitlet!(rx.recv())` and `awaitlet!(tx.send(v))` inside an `async_def` task; [`under`] is
//!   the same for any [`Bridge`], awaitlet's peers among them.
//! - [`thread_bridge`]: the consumer is sync code on tokio's blocking pool, calling
//!   `blocking_recv` and `blocking_send`.
//!
//! Each returns the time the producer took for `rounds` round trips.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::task::{LocalSet, spawn_local};

use crate::peers::{Awaitlet, Bridge};

/// The producer: `rounds` round trips, timed.
pub(crate) async fn producer(
    to_consumer: Sender<u64>,
    mut from_consumer: Receiver<u64>,
    rounds: u64,
) -> Duration {
    let start = Instant::now();
    for i in 0..rounds {
        to_consumer.send(i).await.expect("the consumer hung up");
        let back = from_consumer.recv().await.expect("the consumer hung up");
        assert_eq!(back, i, "the consumer sent back the wrong number");
    }
    start.elapsed()
    // Dropping `to_consumer` here ends the consumer's loop.
}

/// The native consumer; returns how many messages it echoed.
pub(crate) async fn native_consumer(
    mut from_producer: Receiver<u64>,
    to_producer: Sender<u64>,
) -> u64 {
    let mut echoed = 0;
    while let Some(value) = from_producer.recv().await {
        to_producer.send(value).await.expect("the producer hung up");
        echoed += 1;
    }
    echoed
}

/// The sync consumer that runs under awaitlet (`B` = [`Awaitlet`]) or a peer: no `async`, no
/// `.await`.
pub fn sync_consumer<B: Bridge>(mut from_producer: Receiver<u64>, to_producer: Sender<u64>) -> u64 {
    let mut echoed = 0;
    while let Some(value) = B::wait(from_producer.recv()) {
        B::wait(to_producer.send(value)).expect("the producer hung up");
        echoed += 1;
    }
    echoed
}

/// The thread-bridge consumer: blocks its (blocking-pool) thread on every message.
fn blocking_consumer(mut from_producer: Receiver<u64>, to_producer: Sender<u64>) -> u64 {
    let mut echoed = 0;
    while let Some(value) = from_producer.blocking_recv() {
        to_producer
            .blocking_send(value)
            .expect("the producer hung up");
        echoed += 1;
    }
    echoed
}

/// Both tasks native, on a `LocalSet` on a current-thread runtime.
pub fn native(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    let (to_consumer, from_producer) = mpsc::channel(1);
    let (to_producer, from_consumer) = mpsc::channel(1);
    local.block_on(runtime, async move {
        let consumer = spawn_local(native_consumer(from_producer, to_producer));
        let producer = spawn_local(producer(to_consumer, from_consumer, rounds));
        let elapsed = producer.await.expect("the producer panicked");
        let echoed = consumer.await.expect("the consumer panicked");
        assert_eq!(echoed, rounds);
        elapsed
    })
}

/// The consumer is [`sync_consumer`] in an `async_def` task, next to the native producer on a
/// `LocalSet` on a current-thread runtime.
pub fn under_awaitlet(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    under::<Awaitlet>(runtime, local, rounds)
}

/// [`under_awaitlet`] with the consumer on a coroutine of bridge `B`.
pub fn under<B: Bridge>(runtime: &Runtime, local: &LocalSet, rounds: u64) -> Duration {
    let (to_consumer, from_producer) = mpsc::channel(1);
    let (to_producer, from_consumer) = mpsc::channel(1);
    local.block_on(runtime, async move {
        let consumer = spawn_local(B::run(move || {
            sync_consumer::<B>(from_producer, to_producer)
        }));
        let producer = spawn_local(producer(to_consumer, from_consumer, rounds));
        let elapsed = producer.await.expect("the producer panicked");
        let echoed = consumer.await.expect("the consumer panicked");
        assert_eq!(echoed, rounds);
        elapsed
    })
}

/// The consumer runs on `spawn_blocking` with `blocking_recv`/`blocking_send`; the producer is a
/// task on the multi-thread `runtime`.
pub fn thread_bridge(runtime: &Runtime, rounds: u64) -> Duration {
    let (to_consumer, from_producer) = mpsc::channel(1);
    let (to_producer, from_consumer) = mpsc::channel(1);
    runtime.block_on(async move {
        let consumer =
            tokio::task::spawn_blocking(move || blocking_consumer(from_producer, to_producer));
        let producer = tokio::spawn(producer(to_consumer, from_consumer, rounds));
        let elapsed = producer.await.expect("the producer panicked");
        let echoed = consumer.await.expect("the consumer panicked");
        assert_eq!(echoed, rounds);
        elapsed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{current_thread_runtime, multi_thread_runtime};

    #[test]
    fn every_consumer_echoes_every_message() {
        let runtime = current_thread_runtime();
        let local = LocalSet::new();
        native(&runtime, &local, 100);
        under_awaitlet(&runtime, &local, 100);
        thread_bridge(&multi_thread_runtime(), 100);
    }
}

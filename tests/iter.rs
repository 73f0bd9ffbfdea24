//! `awaitlet::iter`: a blocking `Iterator` over a `Stream`, for sync code inside an `async_def`.
//! Items arrive in order across suspensions, `size_hint` and fusing are the stream's, and outside
//! a coroutine `next` panics with `awaitlet!`'s message without polling the stream.

mod common;

use std::cell::Cell;
use std::iter::FusedIterator;
use std::rc::Rc;
use std::task::Poll;

use awaitlet::async_def;
use futures::channel::mpsc;
use futures::stream;
use futures::{Stream, StreamExt};

use common::panic_text;

/// Plain sync code that takes any iterator.
fn running_totals(values: impl Iterator<Item = u64>) -> Vec<u64> {
    values
        .scan(0, |total, value| {
            *total += value;
            Some(*total)
        })
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn yields_every_item_a_producer_sends_across_suspensions() {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut sender = sender;
        for value in 1..=100 {
            futures::SinkExt::send(&mut sender, value).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let totals = async_def(move || running_totals(awaitlet::iter(receiver))).await;
    assert_eq!(totals.len(), 100);
    assert_eq!(totals[9], 55);
    assert_eq!(totals[99], 5050);
}

#[test]
fn size_hint_is_the_streams() {
    let hints = futures::executor::block_on(async_def(|| {
        let mut values = awaitlet::iter(stream::iter(0..5));
        let before = values.size_hint();
        values.next();
        (before, values.size_hint())
    }));
    assert_eq!(hints, ((5, Some(5)), (4, Some(4))));
    let unknown = awaitlet::iter(stream::poll_fn(|_| Poll::<Option<u8>>::Pending));
    assert_eq!(unknown.size_hint(), (0, None));
}

fn fused<I: FusedIterator>(iter: I) -> I {
    iter
}

#[test]
fn an_iterator_over_a_fused_stream_is_fused() {
    let after_end = futures::executor::block_on(async_def(|| {
        let mut values = fused(awaitlet::iter(stream::iter([1, 2]).fuse()));
        let items: Vec<_> = values.by_ref().collect();
        (items, values.next(), values.next())
    }));
    assert_eq!(after_end, (vec![1, 2], None, None));
}

#[test]
fn outside_an_async_def_next_panics_without_polling_the_stream() {
    let polls = Rc::new(Cell::new(0));
    let counter = Rc::clone(&polls);
    let mut values = awaitlet::iter(stream::poll_fn(move |_| {
        counter.set(counter.get() + 1);
        Poll::Ready(Some(1))
    }));
    let message = panic_text(|| values.next());
    assert!(message.contains("outside of an async_def"), "{message}");
    assert_eq!(
        message,
        awaitlet::try_awaitlet(std::future::ready(()))
            .unwrap_err()
            .to_string()
    );
    assert_eq!(polls.get(), 0);
    // The stream is intact: inside a coroutine it yields its items.
    let first = futures::executor::block_on(async_def(move || values.next()));
    assert_eq!(first, Some(1));
}

#[test]
fn get_ref_get_mut_and_into_inner_reach_the_stream() {
    let mut values = awaitlet::iter(stream::iter(vec![1, 2, 3]));
    assert_eq!(values.get_ref().size_hint(), (3, Some(3)));
    let _ = values.get_mut();
    let rest: Vec<_> = futures::executor::block_on(values.into_inner().collect());
    assert_eq!(rest, [1, 2, 3]);
}

//! Feature `tracing`: spans entered on a coroutine belong to it. Many calls interleaved on one
//! thread each log under their own spans only, `send` calls log under their caller's span, every
//! span is exited exactly once for each time it was entered (cancellation included), and while a
//! coroutine is suspended the thread's current span is its poller's.
//!
//! One subscriber serves the whole binary, installed as the global default so that it also sees
//! the pool threads of `send` calls: a `Registry` with [`Capture`], a layer that records, for every
//! event, the chain of spans it sits in, and checks every exit against an enter. Every span and
//! event carries the name of its test and the number of its call, so tests running side by side
//! each look at their own records.

use std::collections::BTreeMap;
use std::io::Read;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, Once};

use awaitlet::tokio::SyncIo;
use awaitlet::{async_def, awaitlet};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Instrument, Span, Subscriber, info, info_span, instrument};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

mod common;

const CALLS: u64 = 50;

/// The `test` and `call` fields of a span or event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tags {
    test: Option<String>,
    call: Option<u64>,
}

impl Visit for Tags {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "call" {
            self.call = Some(value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value as u64);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "test" {
            self.test = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "test" => self.test = Some(text.trim_matches('"').to_string()),
            "call" => self.call = text.parse().ok(),
            _ => {}
        }
    }
}

/// One event: its message, its tags, and the spans it sits in, outermost first.
#[derive(Clone, Debug)]
struct Record {
    message: String,
    tags: Tags,
    chain: Vec<(&'static str, Tags)>,
}

/// What the layer saw: every event, and every broken enter/exit pairing.
#[derive(Default)]
struct Seen {
    events: Vec<Record>,
    /// Per span: its name, tags and how many times it is entered right now.
    depth: BTreeMap<u64, (&'static str, Tags, i64)>,
    /// Exits of spans that were not entered, and spans closed while still entered.
    violations: Vec<(Tags, String)>,
}

static SEEN: Mutex<Seen> = Mutex::new(Seen {
    events: Vec::new(),
    depth: BTreeMap::new(),
    violations: Vec::new(),
});

fn seen() -> MutexGuard<'static, Seen> {
    SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Capture;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut tags = Tags::default();
        attrs.record(&mut tags);
        let span = ctx.span(id).expect("a new span is in the registry");
        span.extensions_mut().insert(tags.clone());
        seen()
            .depth
            .insert(id.into_u64(), (attrs.metadata().name(), tags, 0));
    }

    fn on_enter(&self, id: &Id, _: Context<'_, S>) {
        if let Some(entry) = seen().depth.get_mut(&id.into_u64()) {
            entry.2 += 1;
        }
    }

    fn on_exit(&self, id: &Id, _: Context<'_, S>) {
        let mut seen = seen();
        let Some(entry) = seen.depth.get_mut(&id.into_u64()) else {
            return;
        };
        entry.2 -= 1;
        if entry.2 < 0 {
            let (name, tags) = (entry.0, entry.1.clone());
            seen.violations.push((
                tags,
                format!("span `{name}` exited more often than entered"),
            ));
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut seen = seen();
        if let Some((name, tags, depth)) = seen.depth.remove(&id.into_u64())
            && depth != 0
        {
            seen.violations.push((
                tags,
                format!("span `{name}` closed while entered {depth} times"),
            ));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut tags = Tags::default();
        event.record(&mut tags);
        let mut message = Message(String::new());
        event.record(&mut message);
        let chain = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        let tags = span.extensions().get::<Tags>().cloned().unwrap_or_default();
                        (span.name(), tags)
                    })
                    .collect()
            })
            .unwrap_or_default();
        seen().events.push(Record {
            message: message.0,
            tags,
            chain,
        });
    }
}

/// Installs the capturing subscriber for the whole process, once.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
}

/// The events of one test.
fn events_of(test: &str) -> Vec<Record> {
    seen()
        .events
        .iter()
        .filter(|record| record.tags.test.as_deref() == Some(test))
        .cloned()
        .collect()
}

/// Checks that every event of `test` sits only in spans of its own call, under a span named
/// `root` if given, and that no span of the test was exited more often than entered. Returns how
/// many events it checked.
fn check_own_spans(test: &str, root: Option<&str>) -> usize {
    let events = events_of(test);
    for record in &events {
        let call = record.tags.call.expect("every event names its call");
        for (name, tags) in &record.chain {
            assert_eq!(
                tags.call,
                Some(call),
                "event {:?} of call {call} sits in span `{name}` of call {:?}; chain {:?}",
                record.message,
                tags.call,
                record.chain,
            );
        }
        if let Some(root) = root {
            assert_eq!(
                record.chain.first().map(|(name, _)| *name),
                Some(root),
                "event {:?} of call {call} is not under `{root}`: chain {:?}",
                record.message,
                record.chain
            );
        }
    }
    assert_no_violations(test);
    events.len()
}

fn assert_no_violations(test: &str) {
    let seen = seen();
    let violations: Vec<_> = seen
        .violations
        .iter()
        .filter(|(tags, _)| tags.test.as_deref() == Some(test))
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
}

/// The unchanged sync layer: instrumented fns, a span guard held across `awaitlet!`, reads
/// through `SyncIo` that suspend, an event at each step.
#[instrument(skip(input))]
fn handle(test: &'static str, call: u64, input: tokio::io::DuplexStream) -> u64 {
    info!(test, call, "start");
    let total = load(test, call, input);
    info!(test, call, "done");
    total
}

#[instrument(skip(input))]
fn load(test: &'static str, call: u64, input: tokio::io::DuplexStream) -> u64 {
    let span = info_span!("io", test, call);
    let _entered = span.enter();
    awaitlet!(common::yield_now());
    info!(test, call, "after the first await");
    let mut bytes = Vec::new();
    SyncIo::new(input).read_to_end(&mut bytes).unwrap();
    info!(test, call, "read {} bytes", bytes.len());
    bytes.iter().map(|&b| u64::from(b)).sum()
}

#[awaitlet::async_def]
fn api(test: &'static str, call: u64, input: tokio::io::DuplexStream) -> u64 {
    handle(test, call, input)
}

#[awaitlet::async_def(send)]
fn api_send(test: &'static str, call: u64, input: tokio::io::DuplexStream) -> u64 {
    handle(test, call, input)
}

/// A pipe whose writer sends `call + 1` bytes of value 1 in three pieces, yielding in between, so
/// that the reader suspends in the middle.
fn slow_input(call: u64) -> tokio::io::DuplexStream {
    let (reader, mut writer) = tokio::io::duplex(4);
    tokio::spawn(async move {
        let data = vec![1u8; call as usize + 1];
        for piece in data.chunks(data.len().div_ceil(3)) {
            writer.write_all(piece).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    reader
}

/// The sum each call must return.
fn expected_totals() -> Vec<u64> {
    (0..CALLS).map(|call| call + 1).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn calls_on_a_current_thread_runtime_keep_their_own_spans() {
    const TEST: &str = "current_thread";
    install();
    let calls = (0..CALLS).map(|call| api(TEST, call, slow_input(call)));
    assert_eq!(futures::future::join_all(calls).await, expected_totals());
    // Four events per call, each checked.
    assert_eq!(check_own_spans(TEST, Some("handle")), 4 * CALLS as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_in_a_local_set_on_the_multi_thread_runtime_keep_their_own_spans() {
    const TEST: &str = "multi_thread";
    install();
    let local = tokio::task::LocalSet::new();
    let totals = local
        .run_until(async {
            let tasks: Vec<_> = (0..CALLS)
                .map(|call| tokio::task::spawn_local(api(TEST, call, slow_input(call))))
                .collect();
            let mut totals = Vec::new();
            for task in tasks {
                totals.push(task.await.unwrap());
            }
            totals
        })
        .await;
    assert_eq!(totals, expected_totals());
    assert_eq!(check_own_spans(TEST, Some("handle")), 4 * CALLS as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_calls_log_under_their_callers_span() {
    const TEST: &str = "send";
    install();
    let tasks: Vec<_> = (0..CALLS)
        .map(|call| {
            let request = info_span!("request", test = TEST, call);
            tokio::spawn(
                async move {
                    info!(test = TEST, call, "caller before");
                    let total = api_send(TEST, call, slow_input(call)).await;
                    info!(test = TEST, call, "caller after");
                    total
                }
                .instrument(request),
            )
        })
        .collect();
    let mut totals = Vec::new();
    for task in tasks {
        totals.push(task.await.unwrap());
    }
    assert_eq!(totals, expected_totals());
    // The body's four events and the caller's two, all under `request`.
    assert_eq!(check_own_spans(TEST, Some("request")), 6 * CALLS as usize);
}

/// Sync code that enters a span and suspends inside it, `n` times.
fn enter_and_suspend(test: &'static str, call: u64, n: usize) {
    let span = info_span!("body", test, call);
    let _entered = span.enter();
    for _ in 0..n {
        awaitlet!(common::yield_now());
        info!(test, call, "resumed");
    }
}

#[test]
fn while_suspended_the_threads_current_span_is_the_pollers() {
    const TEST: &str = "poller";
    install();
    let outer = info_span!("poller", test = TEST, call = 0u64);
    let _outer = outer.enter();
    let mut body = pin!(async_def(|| enter_and_suspend(TEST, 0, 3)));
    let mut polls = 0;
    loop {
        let poll = common::poll_once(body.as_mut());
        polls += 1;
        assert_eq!(Span::current().id(), outer.id(), "after poll {polls}");
        info!(test = TEST, call = 0u64, "between polls");
        if poll.is_ready() {
            break;
        }
    }
    assert_eq!(polls, 4);
    // Between polls the poller's events sit under `poller` alone; the body's under both.
    let chains: Vec<Vec<&str>> = events_of(TEST)
        .iter()
        .map(|record| record.chain.iter().map(|(name, _)| *name).collect())
        .collect();
    let (poller, body) = (vec!["poller"], vec!["poller", "body"]);
    assert_eq!(
        chains,
        [&poller, &body, &poller, &body, &poller, &body, &poller].map(Clone::clone)
    );
    assert_no_violations(TEST);
}

#[test]
fn a_cancelled_coroutine_exits_each_span_once() {
    const TEST: &str = "cancelled";
    install();
    let mut body = Box::pin(async_def(|| {
        let outer = info_span!("outer", test = TEST, call = 0u64);
        let _outer = outer.enter();
        // Nested: the inner coroutine suspends too, inside spans of its own.
        awaitlet!(async_def(|| enter_and_suspend(TEST, 0, 10)));
    }));
    assert!(common::poll_once(body.as_mut()).is_pending());
    assert!(common::poll_once(body.as_mut()).is_pending());
    assert!(Span::current().is_none(), "suspended spans left entered");
    drop(body);
    assert!(
        Span::current().is_none(),
        "spans left entered by the cancellation"
    );
    let seen = seen();
    let open: Vec<_> = seen
        .depth
        .values()
        .filter(|(_, tags, depth)| tags.test.as_deref() == Some(TEST) && *depth != 0)
        .collect();
    assert!(open.is_empty(), "spans still entered: {open:?}");
    drop(seen);
    assert_no_violations(TEST);
    assert_eq!(events_of(TEST).len(), 1);
}

/// `try_awaitlet` and `iter` suspend inside a span, in a coroutine nested in another, interleaved
/// with a second call.
#[instrument]
fn nested_layer(test: &'static str, call: u64) -> u64 {
    let inner = async_def(move || {
        let span = info_span!("inner", test, call);
        let _entered = span.enter();
        let first = awaitlet::try_awaitlet(common::pending_then(2, call)).unwrap();
        info!(test, call, "try_awaitlet");
        let stream = futures::stream::iter([first, 1, 2]).then(|n| common::pending_then(1, n));
        let sum: u64 = awaitlet::iter(Box::pin(stream)).sum();
        info!(test, call, "iter");
        sum
    });
    let sum = awaitlet!(inner);
    info!(test, call, "outer");
    sum
}

#[test]
fn nested_coroutines_try_awaitlet_and_iter_keep_their_own_spans() {
    const TEST: &str = "nested";
    install();
    let calls = (0..4).map(|call| async_def(move || nested_layer(TEST, call)));
    let sums = futures::executor::block_on(futures::future::join_all(calls));
    assert_eq!(sums, [3, 4, 5, 6]);
    assert_eq!(check_own_spans(TEST, Some("nested_layer")), 3 * 4);
}

/// `#[async_def]` above `#[instrument]`: the span belongs to the generated `async fn`, made when
/// it is called, as for any instrumented `async fn`, and entered around each poll of it.
#[awaitlet::async_def]
#[instrument]
fn instrumented_above(test: &'static str, call: u64) -> u64 {
    awaitlet!(common::yield_now());
    info!(test, call, "inside");
    call
}

/// `#[instrument]` above `#[async_def]`: the span is made and entered by the sync body, on the
/// coroutine, when it first runs.
#[instrument]
#[awaitlet::async_def]
fn instrumented_below(test: &'static str, call: u64) -> u64 {
    awaitlet!(common::yield_now());
    info!(test, call, "inside");
    call
}

#[test]
fn instrument_on_either_side_of_async_def_makes_one_span_per_call() {
    const TEST: &str = "instrument_order";
    install();
    // Interleaved on one thread: each call's event must sit in its own span alone.
    let calls = (0..4).flat_map(|call| {
        [
            futures::future::Either::Left(instrumented_above(TEST, call)),
            futures::future::Either::Right(instrumented_below(TEST, call + 10)),
        ]
    });
    let results = futures::executor::block_on(futures::future::join_all(calls));
    assert_eq!(results, [0, 10, 1, 11, 2, 12, 3, 13]);
    let chains: Vec<_> = events_of(TEST)
        .into_iter()
        .map(|record| {
            let names: Vec<_> = record.chain.iter().map(|(name, _)| *name).collect();
            (record.tags.call.unwrap(), names)
        })
        .collect();
    assert_eq!(chains.len(), 8);
    for (call, names) in chains {
        let name = if call < 10 {
            "instrumented_above"
        } else {
            "instrumented_below"
        };
        assert_eq!(names, [name], "call {call}");
    }
    assert_eq!(check_own_spans(TEST, None), 8);
}

/// Sync code that awaits twice, logging after each.
fn await_twice(test: &'static str) {
    for _ in 0..2 {
        awaitlet!(common::yield_now());
        info!(test, call = 0u64, "resumed");
    }
}

#[test]
fn a_span_entered_in_a_poll_on_a_portals_stack_is_exited_while_the_portal_is_suspended() {
    const TEST: &str = "portal";
    install();
    let outer = info_span!("poller", test = TEST, call = 0u64);
    let _outer = outer.enter();
    // `Instrument` enters its span for the length of each poll; the portal suspends in the middle
    // of one, inside that span.
    let future = async { await_twice(TEST) }.instrument(info_span!(
        "instrumented",
        test = TEST,
        call = 0u64
    ));
    let mut portal = pin!(awaitlet::portal(future));
    let mut polls = 0;
    loop {
        let poll = common::poll_once(portal.as_mut());
        polls += 1;
        assert_eq!(Span::current().id(), outer.id(), "after poll {polls}");
        info!(test = TEST, call = 0u64, "between polls");
        if poll.is_ready() {
            break;
        }
    }
    assert_eq!(polls, 3);
    let chains: Vec<Vec<&str>> = events_of(TEST)
        .iter()
        .map(|record| record.chain.iter().map(|(name, _)| *name).collect())
        .collect();
    let (poller, inside) = (vec!["poller"], vec!["poller", "instrumented"]);
    assert_eq!(
        chains,
        [&poller, &inside, &poller, &inside, &poller].map(Clone::clone)
    );
    assert_no_violations(TEST);
}

//! An unchanged blocking parser serving 1,000 concurrent connections on one thread.
//!
//! `parser::read_batch` is the kind of code a port inherits: it takes `impl BufRead`, reads a
//! header line, then streams newline-delimited JSON documents through `serde_json`'s reader API,
//! and it has never heard of async. The original server runs it on a thread per connection over
//! blocking `std::net` sockets. The port runs the very same function, and the same connection
//! handler around it, over tokio `TcpStream`s wrapped in `awaitlet::tokio::SyncIo`: each
//! connection is an `#[async_def]` task, and all of them share one thread.
//!
//! The clients (native tokio, on a thread of their own) connect all at once, then send their
//! documents split in two halves with a pause between, so the parser's reads stop in the middle of
//! a document, and its next read suspends the coroutine until the rest arrives (the server counts
//! the socket reads that end mid-document). One client sends a truncated document, and gets the
//! parser's error back.
//!
//! Run it with `cargo run --example sync_parser`.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How many clients connect at once, to each server.
const CONNECTIONS: usize = 1_000;
/// Documents per connection.
const READINGS: usize = 20;
/// The client that sends a truncated last document.
const BAD_CLIENT: usize = 500;

/// The blocking code that the port keeps as it is.
mod parser {
    use std::io::{self, BufRead};

    use serde::{Deserialize, Serialize};

    /// One document of the stream.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Reading {
        pub at: u64,
        /// Tenths of a degree Celsius.
        pub tenths: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub note: Option<String>,
    }

    /// What a batch adds up to.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Summary {
        pub station: String,
        pub readings: usize,
        pub notes: usize,
        pub min_tenths: i32,
        pub max_tenths: i32,
        pub total_tenths: i64,
    }

    impl Summary {
        pub fn new(station: &str) -> Self {
            Summary {
                station: station.to_string(),
                readings: 0,
                notes: 0,
                min_tenths: i32::MAX,
                max_tenths: i32::MIN,
                total_tenths: 0,
            }
        }

        pub fn add(&mut self, reading: &Reading) {
            self.readings += 1;
            self.notes += usize::from(reading.note.is_some());
            self.min_tenths = self.min_tenths.min(reading.tenths);
            self.max_tenths = self.max_tenths.max(reading.tenths);
            self.total_tenths += i64::from(reading.tenths);
        }
    }

    /// Reads `readings v1 <station>\n`, then JSON documents up to the end of the input.
    pub fn read_batch(mut input: impl BufRead) -> io::Result<Summary> {
        let mut header = String::new();
        input.read_line(&mut header)?;
        let station = header
            .strip_prefix("readings v1 ")
            .and_then(|rest| rest.strip_suffix('\n'))
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("bad header {header:?}"))
            })?;
        let mut summary = Summary::new(station);
        for reading in serde_json::Deserializer::from_reader(input).into_iter::<Reading>() {
            summary.add(&reading?);
        }
        Ok(summary)
    }
}

use parser::{Reading, Summary};

/// The server's reply: one line.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Reply {
    Summary(Summary),
    Error(String),
}

/// The connection handler, also unchanged by the port: parse the request, write one reply line.
fn serve_connection(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let reply = match parser::read_batch(input) {
        Ok(summary) => Reply::Summary(summary),
        Err(error) => Reply::Error(error.to_string()),
    };
    serde_json::to_writer(&mut output, &reply)?;
    output.write_all(b"\n")?;
    output.flush()
}

/// The original server: blocking sockets, a thread per connection.
mod threaded {
    use std::io::{self, BufReader};
    use std::net::TcpListener;
    use std::thread;

    use super::serve_connection;

    /// Serves `connections` connections, then returns.
    pub fn serve(listener: TcpListener, connections: usize) -> io::Result<()> {
        let mut workers = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (stream, _) = listener.accept()?;
            workers.push(thread::spawn(move || {
                let input = BufReader::new(stream.try_clone()?);
                serve_connection(input, stream)
            }));
        }
        for worker in workers {
            worker.join().expect("a connection thread panicked")?;
        }
        Ok(())
    }
}

/// The port: tokio sockets through `SyncIo`, a coroutine per connection, one thread.
mod ported {
    use std::cell::Cell;
    use std::io;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::task::{Context, Poll, ready};

    use awaitlet::async_def;
    use awaitlet::tokio::SyncIo;
    use tokio::io::{AsyncRead, BufReader, ReadBuf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::{LocalSet, spawn_local};

    use super::serve_connection;

    /// What the server saw: connections served at once, and socket reads that stopped in the
    /// middle of a document.
    #[derive(Debug, Default)]
    pub struct Stats {
        live: Cell<usize>,
        pub peak: Cell<usize>,
        pub split_reads: Cell<usize>,
    }

    /// The new front end: the sync handler, on a coroutine, over async sockets.
    #[async_def]
    fn serve_one(stream: TcpStream, stats: Rc<Stats>) -> io::Result<()> {
        stats.live.set(stats.live.get() + 1);
        stats.peak.set(stats.peak.get().max(stats.live.get()));
        let (read, write) = stream.into_split();
        let read = Watched {
            inner: read,
            stats: Rc::clone(&stats),
        };
        let served = serve_connection(SyncIo::new(BufReader::new(read)), SyncIo::new(write));
        stats.live.set(stats.live.get() - 1);
        served
    }

    /// Serves `connections` connections on the calling thread, then returns what it saw.
    pub fn serve(listener: std::net::TcpListener, connections: usize) -> io::Result<Rc<Stats>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        LocalSet::new().block_on(&runtime, async move {
            listener.set_nonblocking(true)?;
            let listener = TcpListener::from_std(listener)?;
            let stats = Rc::new(Stats::default());
            let mut tasks = Vec::with_capacity(connections);
            for _ in 0..connections {
                let (stream, _) = listener.accept().await?;
                tasks.push(spawn_local(serve_one(stream, Rc::clone(&stats))));
            }
            for task in tasks {
                task.await.expect("a connection task panicked")?;
            }
            Ok(stats)
        })
    }

    /// The socket's read half, counting the reads whose data ends before a document does (every
    /// document ends in a newline): evidence that the parser really meets documents in pieces.
    struct Watched<R> {
        inner: R,
        stats: Rc<Stats>,
    }

    impl<R: AsyncRead + Unpin> AsyncRead for Watched<R> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let before = buf.filled().len();
            ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
            if buf.filled()[before..]
                .last()
                .is_some_and(|&byte| byte != b'\n')
            {
                self.stats.split_reads.set(self.stats.split_reads.get() + 1);
            }
            Poll::Ready(Ok(()))
        }
    }
}

/// The documents client `client` sends, and the summary they add up to.
fn batch(client: usize) -> (Vec<Reading>, Summary) {
    let station = format!("station-{client}");
    let readings: Vec<_> = (0..READINGS)
        .map(|i| Reading {
            at: 1_700_000_000 + i as u64 * 60,
            tenths: ((client * 31 + i * 17) % 700) as i32 - 200,
            // Escapes and multi-byte characters, which the split may cut in half.
            note: (i % 5 == 0).then(|| format!("\"{station}\" says \u{2744}\nnew line")),
        })
        .collect();
    let mut summary = Summary::new(&station);
    readings.iter().for_each(|reading| summary.add(reading));
    (readings, summary)
}

/// What one client sent and got back.
struct Exchange {
    client: usize,
    expected: Summary,
    reply: Reply,
}

/// One client: connect, wait for all the others, send the batch in halves, read the reply.
async fn client(
    addr: SocketAddr,
    client: usize,
    all_connected: Arc<tokio::sync::Barrier>,
) -> io::Result<Exchange> {
    let (readings, expected) = batch(client);
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    all_connected.wait().await;
    stream
        .write_all(format!("readings v1 {}\n", expected.station).as_bytes())
        .await?;
    for (i, reading) in readings.iter().enumerate() {
        let mut document = serde_json::to_vec(reading)?;
        document.push(b'\n');
        if client == BAD_CLIENT && i == READINGS - 1 {
            document.truncate(document.len() / 2);
        }
        let (first, second) = document.split_at(document.len() / 2);
        stream.write_all(first).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
        stream.write_all(second).await?;
    }
    stream.shutdown().await?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    let reply = serde_json::from_str(&line)?;
    Ok(Exchange {
        client,
        expected,
        reply,
    })
}

/// Runs `CONNECTIONS` clients at once against `addr`, on a runtime of their own.
fn run_clients(addr: SocketAddr) -> io::Result<Vec<Exchange>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let all_connected = Arc::new(tokio::sync::Barrier::new(CONNECTIONS));
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| tokio::spawn(client(addr, i, Arc::clone(&all_connected))))
            .collect();
        let mut exchanges = Vec::with_capacity(CONNECTIONS);
        for client in clients {
            exchanges.push(client.await.expect("a client panicked")?);
        }
        Ok(exchanges)
    })
}

/// What a server run came to.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Summaries that matched what the client sent.
    summaries: usize,
    /// The errors the server replied with, by client.
    errors: Vec<(usize, String)>,
}

/// Checks every reply against what its client sent.
fn outcome(exchanges: Vec<Exchange>) -> Outcome {
    let mut outcome = Outcome {
        summaries: 0,
        errors: Vec::new(),
    };
    for exchange in exchanges {
        match exchange.reply {
            Reply::Summary(summary) => {
                assert_eq!(
                    summary, exchange.expected,
                    "client {}'s summary",
                    exchange.client
                );
                outcome.summaries += 1;
            }
            Reply::Error(error) => outcome.errors.push((exchange.client, error)),
        }
    }
    outcome
}

/// A listener on a free loopback port whose backlog holds every client at once: with `std`'s
/// 128, the connections past it would wait a second for a retransmitted SYN.
fn listen() -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};

    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(CONNECTIONS as i32)?;
    Ok(socket.into())
}

/// Runs the clients against a server that `serve` runs on a thread of its own, and returns what
/// `report` makes of the server's result there.
fn against<R, S: Send + 'static>(
    serve: impl FnOnce(std::net::TcpListener, usize) -> io::Result<R> + Send + 'static,
    report: impl FnOnce(R) -> S + Send + 'static,
) -> io::Result<(Outcome, S)> {
    let listener = listen()?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || serve(listener, CONNECTIONS).map(report));
    let exchanges = run_clients(addr)?;
    let served = server.join().expect("the server panicked")?;
    Ok((outcome(exchanges), served))
}

/// What the ported server saw: connections at once, socket reads that ended mid-document.
#[derive(Debug, Clone, Copy)]
struct Seen {
    peak: usize,
    split_reads: usize,
}

/// Both servers, one after the other; they must answer alike.
fn run() -> io::Result<(Outcome, Seen)> {
    let (threaded, ()) = against(threaded::serve, drop)?;
    println!(
        "threaded: {CONNECTIONS} connections, one std thread each: {} summaries, errors {:?}",
        threaded.summaries, threaded.errors
    );
    // The `Rc` stays on the server thread; the figures come back.
    let (ported, seen) = against(ported::serve, |stats| Seen {
        peak: stats.peak.get(),
        split_reads: stats.split_reads.get(),
    })?;
    println!(
        "ported: {CONNECTIONS} connections on one thread through SyncIo ({} at once, {} socket \
         reads ending mid-document): {} summaries, errors {:?}",
        seen.peak, seen.split_reads, ported.summaries, ported.errors
    );
    assert_eq!(threaded, ported, "both servers answer alike");
    Ok((ported, seen))
}

fn main() -> io::Result<()> {
    run().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_batch_parses_across_partial_reads_and_the_bad_one_fails() {
        let (outcome, seen) = run().unwrap();
        assert_eq!(outcome.summaries, CONNECTIONS - 1);
        let [(client, error)] = &outcome.errors[..] else {
            panic!("expected one error, got {:?}", outcome.errors);
        };
        assert_eq!(*client, BAD_CLIENT);
        assert!(error.starts_with("EOF while parsing"), "{error}");
        assert!(seen.peak > 1, "connections served concurrently: {seen:?}");
        assert!(seen.split_reads > 0, "documents met in pieces: {seen:?}");
    }

    #[test]
    fn the_parser_reads_a_batch_from_any_buf_read() {
        let (readings, expected) = batch(7);
        let mut input = b"readings v1 station-7\n".to_vec();
        for reading in &readings {
            serde_json::to_writer(&mut input, reading).unwrap();
            input.push(b'\n');
        }
        assert_eq!(parser::read_batch(&input[..]).unwrap(), expected);
        let error = parser::read_batch(&b"hello\n"[..]).unwrap_err();
        assert_eq!(error.to_string(), "bad header \"hello\\n\"");
    }
}

//! `awaitlet::tokio::SyncIo`: blocking `std::io` over tokio's async I/O traits. Data goes through
//! unchanged in pieces of any size and across suspensions; inner errors come back as they were;
//! and where `awaitlet!` cannot suspend, every call is an error that touched nothing.

use std::future::poll_fn;
use std::io::{self, BufRead, IoSlice, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use awaitlet::async_def;
use awaitlet::tokio::SyncIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};

/// What every call returns where `awaitlet!` cannot suspend: `awaitlet!`'s own refusal.
fn refusal_outside() -> String {
    awaitlet::try_awaitlet(std::future::ready(()))
        .unwrap_err()
        .to_string()
}

fn assert_refused(error: io::Error) {
    assert_eq!(error.kind(), io::ErrorKind::Other);
    assert_eq!(error.to_string(), refusal_outside());
}

/// `len` bytes that are not all alike, so that misplaced or repeated pieces show.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Writes `data` to `writer` in pieces of `piece` bytes, yielding to the scheduler after each.
async fn trickle(mut writer: impl AsyncWrite + Unpin, data: Vec<u8>, piece: usize) {
    for chunk in data.chunks(piece) {
        writer.write_all(chunk).await.unwrap();
        tokio::task::yield_now().await;
    }
    writer.shutdown().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn reads_everything_the_peer_writes_in_pieces() {
    let data = pattern(100_000);
    let (writer, reader) = tokio::io::duplex(64);
    tokio::spawn(trickle(writer, data.clone(), 1_000));
    let mut input = SyncIo::new(reader);
    let (received, reads) = async_def(move || {
        let mut received = Vec::new();
        let mut buf = [0; 333];
        let mut reads = 0;
        loop {
            match input.read(&mut buf).unwrap() {
                0 => break,
                n => received.extend_from_slice(&buf[..n]),
            }
            reads += 1;
        }
        (received, reads)
    })
    .await;
    assert_eq!(received, data);
    // A 64-byte pipe cannot hand over 100,000 bytes in fewer than 1,563 reads.
    assert!(reads >= 100_000 / 64, "{reads} reads");
}

#[tokio::test(flavor = "current_thread")]
async fn lines_split_across_reads_come_back_whole() {
    let text = "alpha\nbeta\n\ngamma delta\nno newline at the end";
    let (writer, reader) = tokio::io::duplex(5);
    tokio::spawn(trickle(writer, text.as_bytes().to_vec(), 3));
    let input = SyncIo::new(BufReader::with_capacity(4, reader));
    let lines = async_def(move || input.lines().collect::<io::Result<Vec<_>>>())
        .await
        .unwrap();
    assert_eq!(
        lines,
        ["alpha", "beta", "", "gamma delta", "no newline at the end"]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn fill_buf_shows_the_buffer_and_consume_advances_it() {
    let (writer, reader) = tokio::io::duplex(64);
    tokio::spawn(trickle(writer, b"abcdefgh".to_vec(), 8));
    let mut input = SyncIo::new(BufReader::new(reader));
    let seen = async_def(move || {
        let mut seen = Vec::new();
        let first = input.fill_buf().unwrap().to_vec();
        input.consume(3);
        let rest = input.fill_buf().unwrap().to_vec();
        let len = rest.len();
        input.consume(len);
        seen.push(first);
        seen.push(rest);
        seen.push(input.fill_buf().unwrap().to_vec());
        seen
    })
    .await;
    assert_eq!(seen, [b"abcdefgh".to_vec(), b"defgh".to_vec(), Vec::new()]);
}

#[tokio::test(flavor = "current_thread")]
async fn writes_flushes_and_shuts_down_the_write_side() {
    let data = pattern(50_000);
    let (writer, mut reader) = tokio::io::duplex(64);
    let peer = tokio::spawn(async move {
        let mut received = Vec::new();
        reader.read_to_end(&mut received).await.unwrap();
        received
    });
    let mut output = SyncIo::new(writer);
    let expected = data.clone();
    let output = async_def(move || {
        output.write_all(&data[..10_000]).unwrap();
        let mut rest = &data[10_000..20_000];
        while !rest.is_empty() {
            let written = output.write_vectored(&[IoSlice::new(rest)]).unwrap();
            rest = &rest[written..];
        }
        output.write_all(&data[20_000..]).unwrap();
        output.flush().unwrap();
        output.shutdown().unwrap();
        output
    })
    .await;
    // The peer saw the end of the stream while `output` is still alive: the shutdown sent it.
    assert_eq!(peer.await.unwrap(), expected);
    drop(output);
}

/// Records the writes it gets: vectored or not, and the slices' contents.
#[derive(Default)]
struct RecordingWriter {
    vectored_calls: Vec<Vec<Vec<u8>>>,
    plain_calls: usize,
}

impl AsyncWrite for RecordingWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().plain_calls += 1;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.vectored_calls
            .push(bufs.iter().map(|buf| buf.to_vec()).collect());
        Poll::Ready(Ok(bufs.iter().map(|buf| buf.len()).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn vectored_writes_reach_the_inner_type_as_one_call() {
    let mut output = SyncIo::new(RecordingWriter::default());
    let output = async_def(move || {
        let written = output
            .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")])
            .unwrap();
        assert_eq!(written, 8);
        output
    })
    .await
    .into_inner();
    assert_eq!(output.plain_calls, 0);
    assert_eq!(
        output.vectored_calls,
        [vec![b"head".to_vec(), b"body".to_vec()]]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn seeks_a_file_whose_seeks_really_suspend() {
    let dir = tempfile::tempdir().unwrap();
    let file = tokio::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.path().join("seek.bin"))
        .await
        .unwrap();
    let mut file = SyncIo::new(file);
    let (middle, end, tail, position) = async_def(move || {
        file.write_all(b"0123456789").unwrap();
        file.flush().unwrap();
        assert_eq!(file.seek(SeekFrom::Start(3)).unwrap(), 3);
        let mut middle = [0; 4];
        file.read_exact(&mut middle).unwrap();
        let end = file.seek(SeekFrom::End(-2)).unwrap();
        let mut tail = String::new();
        file.read_to_string(&mut tail).unwrap();
        file.seek(SeekFrom::Current(-5)).unwrap();
        (middle, end, tail, file.stream_position().unwrap())
    })
    .await;
    assert_eq!(&middle, b"3456");
    assert_eq!(end, 8);
    assert_eq!(tail, "89");
    assert_eq!(position, 5);
}

#[test]
fn outside_an_async_def_every_call_is_refused_and_touches_nothing() {
    let mut io = SyncIo::new(io::Cursor::new(b"unread".to_vec()));
    let mut buf = [0; 16];
    assert_refused(io.read(&mut buf).unwrap_err());
    assert_refused(io.read_exact(&mut buf[..3]).unwrap_err());
    assert_refused(io.fill_buf().unwrap_err());
    assert_refused(io.seek(SeekFrom::Start(4)).unwrap_err());
    assert_refused(io.write(b"overwritten").unwrap_err());
    assert_refused(io.write_vectored(&[IoSlice::new(b"x")]).unwrap_err());
    assert_refused(io.flush().unwrap_err());
    assert_refused(io.shutdown().unwrap_err());
    assert_eq!(buf, [0; 16]);
    let cursor = io.into_inner();
    assert_eq!(cursor.position(), 0);
    assert_eq!(cursor.get_ref(), b"unread");
}

#[tokio::test(flavor = "current_thread")]
async fn outside_an_async_def_a_read_loses_no_data_and_never_blocks() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let mut input = SyncIo::new(reader);
    // Nothing to read yet: a blocking read would hang the test; this one returns at once.
    assert_refused(input.read(&mut [0; 8]).unwrap_err());
    writer.write_all(b"kept").await.unwrap();
    drop(writer);
    assert_refused(input.read(&mut [0; 8]).unwrap_err());
    let text = async_def(move || {
        let mut text = String::new();
        input.read_to_string(&mut text).map(|_| text)
    })
    .await
    .unwrap();
    assert_eq!(text, "kept");
}

#[tokio::test(flavor = "current_thread")]
async fn inside_an_awaited_futures_poll_calls_are_refused() {
    let mut io = SyncIo::new(io::Cursor::new(b"data".to_vec()));
    let (error, position) = async_def(move || {
        let error = awaitlet::awaitlet!(poll_fn(|_| Poll::Ready(io.read(&mut [0; 4]))));
        (error.unwrap_err(), io.get_ref().position())
    })
    .await;
    assert_eq!(error.kind(), io::ErrorKind::Other);
    let message = error.to_string();
    assert!(message.contains("outside of an async_def"), "{message}");
    assert!(message.contains("Future::poll"), "{message}");
    assert_eq!(position, 0);
}

/// The error type of [`Failing`], to check that the very error object comes back.
#[derive(Debug)]
struct PeerWentAway;

impl std::fmt::Display for PeerWentAway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("peer went away")
    }
}

impl std::error::Error for PeerWentAway {}

/// Pending once, then fails every read and write with [`PeerWentAway`].
struct Failing {
    pending: bool,
}

impl Failing {
    fn poll_fail<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        if std::mem::take(&mut self.pending) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            PeerWentAway,
        )))
    }
}

impl AsyncRead for Failing {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().poll_fail(cx)
    }
}

impl AsyncWrite for Failing {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_fail(cx)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_fail(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_fail(cx)
    }
}

fn assert_passed_through(error: io::Error) {
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(error.to_string(), "peer went away");
    assert!(error.get_ref().unwrap().is::<PeerWentAway>(), "{error:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn errors_of_the_inner_type_come_back_unchanged() {
    let errors = async_def(|| {
        let mut io = SyncIo::new(Failing { pending: true });
        let read = io.read(&mut [0; 4]).unwrap_err();
        io.get_mut().pending = true;
        let write = io.write(b"x").unwrap_err();
        io.get_mut().pending = true;
        let flush = io.flush().unwrap_err();
        let shutdown = io.shutdown().unwrap_err();
        [read, write, flush, shutdown]
    })
    .await;
    errors.into_iter().for_each(assert_passed_through);
}

#[test]
fn get_ref_get_mut_and_into_inner_reach_the_inner_value() {
    let mut io = SyncIo::new(io::Cursor::new(vec![1, 2, 3]));
    assert_eq!(io.get_ref().get_ref(), &[1, 2, 3]);
    io.get_mut().set_position(2);
    assert_eq!(io.into_inner().position(), 2);
    assert!(format!("{:?}", SyncIo::new(5)).contains("SyncIo"));
}

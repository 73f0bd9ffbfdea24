//! `awaitlet::futures_io::SyncIo`: blocking `std::io` over the `futures-io` traits, here over a
//! tokio duplex pipe seen through tokio-util's compat layer and over `futures::io` types. The same
//! promises as over tokio's traits: data unchanged, vectored calls passed on, inner errors as they
//! were, and every call refused, touching nothing, where `awaitlet!` cannot suspend.

use std::io::{self, BufRead, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use awaitlet::async_def;
use awaitlet::futures_io::SyncIo;
use futures::io::{AsyncRead, AsyncWrite, BufReader, Cursor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::compat::TokioAsyncReadCompatExt;

fn refusal_outside() -> String {
    awaitlet::try_awaitlet(std::future::ready(()))
        .unwrap_err()
        .to_string()
}

fn assert_refused(error: io::Error) {
    assert_eq!(error.kind(), io::ErrorKind::Other);
    assert_eq!(error.to_string(), refusal_outside());
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn reads_lines_the_peer_writes_in_pieces() {
    let text = pattern(20_000)
        .chunks(97)
        .map(|chunk| {
            format!(
                "{}\n",
                chunk
                    .iter()
                    .map(|b| b % 10)
                    .map(|d| d.to_string())
                    .collect::<String>()
            )
        })
        .collect::<String>();
    let (mut writer, reader) = tokio::io::duplex(16);
    let sent = text.clone();
    tokio::spawn(async move {
        for chunk in sent.as_bytes().chunks(50) {
            writer.write_all(chunk).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let input = SyncIo::new(BufReader::with_capacity(8, reader.compat()));
    let lines = async_def(move || input.lines().collect::<io::Result<Vec<_>>>())
        .await
        .unwrap();
    assert_eq!(lines, text.lines().collect::<Vec<_>>());
}

#[tokio::test(flavor = "current_thread")]
async fn writes_and_closes_the_write_side() {
    let data = pattern(30_000);
    let (writer, mut reader) = tokio::io::duplex(64);
    let peer = tokio::spawn(async move {
        let mut received = Vec::new();
        reader.read_to_end(&mut received).await.unwrap();
        received
    });
    let mut output = SyncIo::new(writer.compat());
    let expected = data.clone();
    let output = async_def(move || {
        output.write_all(&data).unwrap();
        output.flush().unwrap();
        output.close().unwrap();
        output
    })
    .await;
    // The peer saw the end of the stream while `output` is still alive: the close sent it.
    assert_eq!(peer.await.unwrap(), expected);
    drop(output);
}

#[test]
fn reads_buffers_and_seeks_a_cursor() {
    let io = SyncIo::new(Cursor::new(b"0123456789".to_vec()));
    let (first, rest, end, position) = futures::executor::block_on(async_def(move || {
        let mut io = io;
        let first = io.fill_buf().unwrap().to_vec();
        io.consume(4);
        io.seek(SeekFrom::Current(2)).unwrap();
        let mut rest = String::new();
        io.read_to_string(&mut rest).unwrap();
        let end = io.seek(SeekFrom::End(-3)).unwrap();
        io.write_all(b"xyz!").unwrap();
        (first, rest, end, io.stream_position().unwrap())
    }));
    assert_eq!(first, b"0123456789");
    assert_eq!(rest, "6789");
    assert_eq!(end, 7);
    assert_eq!(position, 11);
}

/// Records whether reads and writes arrive vectored.
#[derive(Default)]
struct Recording {
    vectored_reads: usize,
    vectored_writes: Vec<Vec<Vec<u8>>>,
    plain_calls: usize,
}

impl AsyncRead for Recording {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().plain_calls += 1;
        Poll::Ready(Ok(0))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().vectored_reads += 1;
        // One byte into each buffer.
        for buf in bufs.iter_mut() {
            buf[0] = b'v';
        }
        Poll::Ready(Ok(bufs.len()))
    }
}

impl AsyncWrite for Recording {
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
        this.vectored_writes
            .push(bufs.iter().map(|buf| buf.to_vec()).collect());
        Poll::Ready(Ok(bufs.iter().map(|buf| buf.len()).sum()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn vectored_reads_and_writes_reach_the_inner_type_as_one_call() {
    let mut io = SyncIo::new(Recording::default());
    let (read, filled, io) = futures::executor::block_on(async_def(move || {
        let (mut a, mut b) = ([0; 2], [0; 3]);
        let read = io
            .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
            .unwrap();
        let written = io
            .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")])
            .unwrap();
        assert_eq!(written, 8);
        (read, [a[0], b[0]], io.into_inner())
    }));
    assert_eq!((read, filled), (2, [b'v', b'v']));
    assert_eq!(io.vectored_reads, 1);
    assert_eq!(
        io.vectored_writes,
        [vec![b"head".to_vec(), b"body".to_vec()]]
    );
    assert_eq!(io.plain_calls, 0);
}

#[test]
fn outside_an_async_def_every_call_is_refused_and_touches_nothing() {
    let mut io = SyncIo::new(Cursor::new(b"unread".to_vec()));
    let mut buf = [0; 16];
    assert_refused(io.read(&mut buf).unwrap_err());
    assert_refused(
        io.read_vectored(&mut [IoSliceMut::new(&mut buf)])
            .unwrap_err(),
    );
    assert_refused(io.fill_buf().unwrap_err());
    assert_refused(io.seek(SeekFrom::Start(4)).unwrap_err());
    assert_refused(io.write(b"overwritten").unwrap_err());
    assert_refused(io.write_vectored(&[IoSlice::new(b"x")]).unwrap_err());
    assert_refused(io.flush().unwrap_err());
    assert_refused(io.close().unwrap_err());
    assert_eq!(buf, [0; 16]);
    let cursor = io.into_inner();
    assert_eq!(cursor.position(), 0);
    assert_eq!(cursor.get_ref(), b"unread");
}

#[tokio::test(flavor = "current_thread")]
async fn outside_an_async_def_a_read_loses_no_data_and_never_blocks() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let mut input = SyncIo::new(reader.compat());
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

#[derive(Debug)]
struct PeerWentAway;

impl std::fmt::Display for PeerWentAway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("peer went away")
    }
}

impl std::error::Error for PeerWentAway {}

/// Fails every call with [`PeerWentAway`].
struct Failing;

fn fail<T>() -> Poll<io::Result<T>> {
    Poll::Ready(Err(io::Error::new(
        io::ErrorKind::ConnectionReset,
        PeerWentAway,
    )))
}

impl AsyncRead for Failing {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        fail()
    }
}

impl AsyncWrite for Failing {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        fail()
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        fail()
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        fail()
    }
}

impl futures::io::AsyncSeek for Failing {
    fn poll_seek(self: Pin<&mut Self>, _: &mut Context<'_>, _: SeekFrom) -> Poll<io::Result<u64>> {
        fail()
    }
}

#[test]
fn errors_of_the_inner_type_come_back_unchanged() {
    let errors = futures::executor::block_on(async_def(|| {
        let mut io = SyncIo::new(Failing);
        [
            io.read(&mut [0; 4]).unwrap_err(),
            io.write(b"x").unwrap_err(),
            io.flush().unwrap_err(),
            io.close().unwrap_err(),
            io.seek(SeekFrom::Start(1)).unwrap_err(),
        ]
    }));
    for error in errors {
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(error.to_string(), "peer went away");
        assert!(error.get_ref().unwrap().is::<PeerWentAway>(), "{error:?}");
    }
}

#[test]
fn get_ref_get_mut_and_into_inner_reach_the_inner_value() {
    let mut io = SyncIo::new(Cursor::new(vec![1, 2, 3]));
    assert_eq!(io.get_ref().get_ref(), &[1, 2, 3]);
    io.get_mut().set_position(2);
    assert_eq!(io.into_inner().position(), 2);
}

//! The echo synopsis at scale: many concurrent clients, each keeping one loopback connection open
//! for a number of round trips (send a line, read the line back), against a native tokio echo
//! server on its own thread and runtime.
//!
//! The client is the synopsis' three layers: a front end, the sync middle layer
//! [`send_receive_logic`], which is the same code for the awaitlet and the threaded clients, and a
//! bottom layer that does the I/O. Three clients are compared:
//!
//! - [`under_awaitlet`]: the front end is an `#[async_def]` fn; the unchanged middle layer calls a
//!   sync bottom layer that does tokio `TcpStream` I/O through `awaitlet!`. One `spawn_local` task
//!   per client on one current-thread runtime.
//! - [`native`]: everything async, the middle layer re-coloured with `async`/`.await`. One
//!   `spawn_local` task per client on one current-thread runtime.
//! - [`threads`]: the original program: one OS thread per client, blocking `std::net` I/O.

use std::io::{self, BufRead as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use awaitlet::{async_def, awaitlet};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::{LocalSet, spawn_local};

/// Concurrent clients in the benchmark.
pub const CLIENTS: usize = 1_000;
/// Round trips per client, over one connection.
pub const ROUNDS: usize = 100;

/// What every client sends, through the middle layer.
const MESSAGE: &str = "ping";

/// The middle layer of the synopsis: plain sync logic that hands a request line to an opaque
/// `implementation` over connection `conn`. The awaitlet port and the threaded original share it
/// unchanged.
pub fn send_receive_logic<C>(
    conn: &mut C,
    msg: &str,
    implementation: impl Fn(&mut C, String) -> io::Result<String>,
) -> io::Result<String> {
    implementation(conn, format!("message number {msg}\n"))
}

/// The middle layer as a native async port has to rewrite it: the same logic, coloured.
async fn send_receive_logic_async(
    conn: &mut tokio::io::BufReader<TcpStream>,
    msg: &str,
) -> io::Result<String> {
    native_send_receive(conn, format!("message number {msg}\n")).await
}

/// Checks one reply.
fn check(reply: &str) -> io::Result<()> {
    let expected = format!("message number {MESSAGE}\n");
    if reply == expected {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the echo server sent back {reply:?}, not {expected:?}"),
        ))
    }
}

// ---- awaitlet: async front end, unchanged sync middle layer, sync bottom layer over tokio I/O.

/// The bottom layer of the awaitlet client: blocking-style code on tokio's socket.
fn awaitlet_send_receive(
    conn: &mut tokio::io::BufReader<TcpStream>,
    line: String,
) -> io::Result<String> {
    awaitlet!(conn.get_mut().write_all(line.as_bytes()))?;
    let mut reply = String::new();
    awaitlet!(conn.read_line(&mut reply))?;
    Ok(reply)
}

/// One awaitlet client: connects, then `rounds` round trips through the sync middle layer.
#[async_def]
pub fn awaitlet_client(addr: SocketAddr, rounds: usize) -> io::Result<()> {
    let stream = awaitlet!(TcpStream::connect(addr))?;
    stream.set_nodelay(true)?;
    let mut conn = tokio::io::BufReader::new(stream);
    for _ in 0..rounds {
        let reply = send_receive_logic(&mut conn, MESSAGE, awaitlet_send_receive)?;
        check(&reply)?;
    }
    Ok(())
}

// ---- native async: every layer async.

/// The bottom layer of the native client.
async fn native_send_receive(
    conn: &mut tokio::io::BufReader<TcpStream>,
    line: String,
) -> io::Result<String> {
    conn.get_mut().write_all(line.as_bytes()).await?;
    let mut reply = String::new();
    conn.read_line(&mut reply).await?;
    Ok(reply)
}

/// One native async client.
pub async fn native_client(addr: SocketAddr, rounds: usize) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut conn = tokio::io::BufReader::new(stream);
    for _ in 0..rounds {
        let reply = send_receive_logic_async(&mut conn, MESSAGE).await?;
        check(&reply)?;
    }
    Ok(())
}

// ---- threads: the original, blocking program.

/// The bottom layer of the threaded client: blocking `std::net` I/O.
fn blocking_send_receive(
    conn: &mut io::BufReader<std::net::TcpStream>,
    line: String,
) -> io::Result<String> {
    conn.get_mut().write_all(line.as_bytes())?;
    let mut reply = String::new();
    conn.read_line(&mut reply)?;
    Ok(reply)
}

/// One threaded client, blocking its thread.
pub fn blocking_client(addr: SocketAddr, rounds: usize) -> io::Result<()> {
    let stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut conn = io::BufReader::new(stream);
    for _ in 0..rounds {
        let reply = send_receive_logic(&mut conn, MESSAGE, blocking_send_receive)?;
        check(&reply)?;
    }
    Ok(())
}

// ---- the three ways to run `clients` clients at once.

/// A current-thread runtime with the I/O driver, for the async clients.
pub fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("building the client runtime")
}

/// `clients` [`awaitlet_client`]s at once, each a `spawn_local` task; returns the time until all
/// have finished.
pub fn under_awaitlet(
    runtime: &Runtime,
    local: &LocalSet,
    addr: SocketAddr,
    clients: usize,
    rounds: usize,
) -> io::Result<Duration> {
    run_clients(runtime, local, clients, || awaitlet_client(addr, rounds))
}

/// `clients` [`native_client`]s at once, each a `spawn_local` task.
pub fn native(
    runtime: &Runtime,
    local: &LocalSet,
    addr: SocketAddr,
    clients: usize,
    rounds: usize,
) -> io::Result<Duration> {
    run_clients(runtime, local, clients, || native_client(addr, rounds))
}

/// Spawns `clients` tasks made by `client` on `local` and times them until the last finishes.
fn run_clients<Client, Fut>(
    runtime: &Runtime,
    local: &LocalSet,
    clients: usize,
    client: Client,
) -> io::Result<Duration>
where
    Client: Fn() -> Fut,
    Fut: Future<Output = io::Result<()>> + 'static,
{
    local.block_on(runtime, async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients).map(|_| spawn_local(client())).collect();
        for task in tasks {
            task.await.expect("an echo client panicked")?;
        }
        Ok(start.elapsed())
    })
}

/// `clients` [`blocking_client`]s at once, one OS thread each.
pub fn threads(addr: SocketAddr, clients: usize, rounds: usize) -> io::Result<Duration> {
    let start = Instant::now();
    let threads = (0..clients)
        .map(|_| std::thread::Builder::new().spawn(move || blocking_client(addr, rounds)))
        .collect::<io::Result<Vec<_>>>()?;
    for thread in threads {
        thread.join().expect("a threaded echo client panicked")?;
    }
    Ok(start.elapsed())
}

// ---- the server.

/// A native tokio echo server on 127.0.0.1, on its own thread with its own current-thread
/// runtime: every connection gets back whatever it sends. Stops when dropped.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    /// Starts the server on a free loopback port.
    pub fn start() -> io::Result<Self> {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("echo-server".into())
            .spawn(move || serve(addr_tx, shutdown_rx))?;
        let addr = addr_rx
            .recv()
            .map_err(|_| io::Error::other("the echo server thread died"))??;
        Ok(EchoServer {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: binds, reports the address, serves until `shutdown` fires.
fn serve(
    addr_tx: std::sync::mpsc::Sender<io::Result<SocketAddr>>,
    shutdown: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = addr_tx.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match bind() {
            Ok(listener) => listener,
            Err(error) => {
                let _ = addr_tx.send(Err(error));
                return;
            }
        };
        let _ = addr_tx.send(listener.local_addr());
        let accept_loop = async {
            loop {
                match listener.accept().await {
                    Ok((stream, _peer)) => {
                        tokio::spawn(echo_connection(stream));
                    }
                    Err(error) => eprintln!("echo server: accept failed: {error}"),
                }
            }
        };
        tokio::select! {
            _ = shutdown => {}
            () = accept_loop => {}
        }
    });
    // Dropping the runtime drops every connection task, closing their sockets.
}

/// A loopback listener with a backlog that holds every client of a benchmark at once.
fn bind() -> io::Result<tokio::net::TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.listen(4096)
}

/// Echoes one connection until the client closes it.
async fn echo_connection(mut stream: TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buffer = [0; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_gets_its_echoes() {
        let server = EchoServer::start().unwrap();
        let runtime = client_runtime();
        let local = LocalSet::new();
        under_awaitlet(&runtime, &local, server.addr(), 20, 10).unwrap();
        native(&runtime, &local, server.addr(), 20, 10).unwrap();
        threads(server.addr(), 20, 10).unwrap();
    }

    #[test]
    fn a_wrong_reply_is_an_error() {
        assert!(check("message number ping\n").is_ok());
        assert!(check("message number pong\n").is_err());
    }
}

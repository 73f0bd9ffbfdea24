//! The synopsis of Python's awaitlet, ported: a three-layer echo client, first as the original
//! threaded program (blocking `std::net` sockets, one OS thread per call), then ported to async
//! (`tokio::net` sockets, five concurrent calls on one thread) by replacing only the bottom layer
//! (`send_receive_implementation`) and the front end (`send_receive_api`). The middle layer,
//! `send_receive_logic`, is one plain sync fn that both versions call: it is never changed, and no
//! `async` or `.await` is added to it. Both talk to an echo server that tokio serves on loopback in
//! this same process.
//!
//! Run it with `cargo run --example echo`.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

/// The inputs, in order; both versions print their replies in this order.
const MESSAGES: [&str; 5] = ["one", "two", "three", "four", "five"];

/// The middle layer: logic that passes requests to an opaque `implementation`.
///
/// It is plain sync code, shared as-is by the threaded original and the async port: with
/// awaitlet, porting the program does not touch it.
fn send_receive_logic(
    msg: &str,
    addr: SocketAddr,
    implementation: impl Fn(SocketAddr, String) -> io::Result<String>,
) -> io::Result<String> {
    implementation(addr, format!("message number {msg}\n"))
}

/// The original program: blocking sockets, and threads for concurrency.
mod threaded {
    use std::io::{self, BufRead, BufReader, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::thread;

    use super::{MESSAGES, send_receive_logic};

    /// The bottom layer: talks to the socket, blocking the calling thread.
    fn send_receive_implementation(addr: SocketAddr, message: String) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr)?;
        stream.write_all(message.as_bytes())?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply)?;
        Ok(reply)
    }

    /// The front end: a blocking call.
    pub(crate) fn send_receive_api(addr: SocketAddr, msg: &'static str) -> io::Result<String> {
        send_receive_logic(msg, addr, send_receive_implementation)
    }

    /// Calls the API from five threads at once; the replies come back in input order.
    pub(crate) fn main(addr: SocketAddr) -> io::Result<Vec<String>> {
        let threads = MESSAGES.map(|msg| thread::spawn(move || send_receive_api(addr, msg)));
        threads
            .into_iter()
            .map(|thread| thread.join().expect("an echo client thread panicked"))
            .collect()
    }
}

/// The port: async sockets, and futures for concurrency; the middle layer is unchanged.
mod ported {
    use std::io;
    use std::net::SocketAddr;

    use awaitlet::{async_def, awaitlet};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;

    use super::{MESSAGES, send_receive_logic};

    /// The new bottom layer: the same conversation over tokio's sockets.
    async fn async_send_receive_implementation(
        addr: SocketAddr,
        message: String,
    ) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(message.as_bytes()).await?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).await?;
        Ok(reply)
    }

    /// The new front end: an async fn whose body runs on a coroutine stack, so the sync middle
    /// layer it calls can reach the async bottom layer through `awaitlet!`.
    #[async_def]
    pub(crate) fn send_receive_api(addr: SocketAddr, msg: String) -> io::Result<String> {
        // The sync adapter handed to the middle layer: from its point of view, a blocking call.
        let adapt_async_implementation = |addr: SocketAddr, message: String| {
            awaitlet!(async_send_receive_implementation(addr, message))
        };
        send_receive_logic(&msg, addr, adapt_async_implementation)
    }

    /// Awaits five calls at once, on the current thread; the replies come back in input order.
    pub(crate) async fn main(addr: SocketAddr) -> io::Result<Vec<String>> {
        let calls = MESSAGES.map(|msg| send_receive_api(addr, msg.to_string()));
        futures::future::join_all(calls).await.into_iter().collect()
    }
}

/// Starts an echo server on a free loopback port: every connection gets back what it sends.
async fn start_echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let mut stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    eprintln!("echo server: accept failed: {error}");
                    continue;
                }
            };
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                if let Err(error) = tokio::io::copy(&mut read, &mut write).await {
                    eprintln!("echo server: connection failed: {error}");
                }
            });
        }
    });
    Ok(addr)
}

fn print_replies(replies: &[String]) {
    for reply in replies {
        println!("Got back echo response: {}", reply.trim_end());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let addr = start_echo_server().await?;

    // The blocking version runs on tokio's blocking pool, so that this runtime's one thread stays
    // free to serve the echo server while the client threads wait for their replies.
    println!("threaded: five std threads, blocking std::net sockets");
    let threaded = tokio::task::spawn_blocking(move || threaded::main(addr))
        .await
        .expect("the threaded client panicked")?;
    print_replies(&threaded);

    println!("ported: five #[async_def] calls on one thread, tokio::net sockets");
    let ported = ported::main(addr).await?;
    print_replies(&ported);

    assert_eq!(threaded, ported, "both versions get the same replies");
    Ok(())
}

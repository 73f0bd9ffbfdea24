//! A sync library's plug-in trait, implemented over async I/O. The `library` module stands for code
//! you don't own: a sync `Storage` trait and sync functions that call it through `&dyn Storage`.
//! `RemoteStorage` implements that trait with one tokio connection to a key-value server on
//! loopback, suspending in `awaitlet!` on every `get`; an `#[async_def]` front end runs the
//! library on a coroutine, so three lookups proceed concurrently on one thread without a thread
//! per call and without changing the library.
//!
//! Run it with `cargo run --example sync_library_bridge`.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;

use awaitlet::{async_def, awaitlet};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Stands for a library you cannot change: sync all the way down.
mod library {
    use std::io;

    /// Where the library gets its data: the plug-in point it offers.
    pub(crate) trait Storage {
        /// The value stored under `key`, if any.
        fn get(&self, key: &str) -> io::Result<Option<String>>;
    }

    /// Library code: plain sync calls through a trait object.
    pub(crate) fn render_profile(storage: &dyn Storage, user: &str) -> io::Result<String> {
        let name = storage
            .get(&format!("{user}/name"))?
            .unwrap_or_else(|| user.to_string());
        Ok(match storage.get(&format!("{user}/city"))? {
            Some(city) => format!("{name}, from {city}"),
            None => format!("{name}, whereabouts unknown"),
        })
    }
}

/// A `Storage` backed by a key-value server, over one async connection.
struct RemoteStorage {
    connection: RefCell<BufReader<TcpStream>>,
}

impl RemoteStorage {
    /// Connects; to be called inside an `async_def`.
    fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = awaitlet!(TcpStream::connect(addr))?;
        Ok(RemoteStorage {
            connection: RefCell::new(BufReader::new(stream)),
        })
    }
}

impl library::Storage for RemoteStorage {
    fn get(&self, key: &str) -> io::Result<Option<String>> {
        // A sync method, as the trait demands; the round trip itself is async.
        let mut connection = self.connection.borrow_mut();
        awaitlet!(query(&mut connection, key))
    }
}

/// One request on the key-value protocol: `GET key\n`, answered by `+value\n` or `-\n`.
async fn query(connection: &mut BufReader<TcpStream>, key: &str) -> io::Result<Option<String>> {
    let request = format!("GET {key}\n");
    connection.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    connection.read_line(&mut line).await?;
    let reply = line.strip_suffix('\n');
    if reply == Some("-") {
        return Ok(None);
    }
    match reply.and_then(|reply| reply.strip_prefix('+')) {
        Some(value) => Ok(Some(value.to_string())),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected reply {line:?} to {request:?}"),
        )),
    }
}

/// The new async front end: runs the unchanged library on a coroutine.
#[async_def]
fn profile_page(addr: SocketAddr, user: String) -> io::Result<String> {
    let storage = RemoteStorage::connect(addr)?;
    library::render_profile(&storage, &user)
}

/// What the key-value server holds.
const DATA: &[(&str, &str)] = &[
    ("ada/name", "Ada Lovelace"),
    ("ada/city", "London"),
    ("grace/name", "Grace Hopper"),
];

/// Starts the key-value server on a free loopback port.
async fn start_key_value_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    eprintln!("key-value server: accept failed: {error}");
                    continue;
                }
            };
            tokio::spawn(async move {
                if let Err(error) = serve(stream).await {
                    eprintln!("key-value server: connection failed: {error}");
                }
            });
        }
    });
    Ok(addr)
}

/// Answers `GET` requests on one connection until the client hangs up.
async fn serve(stream: TcpStream) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let key = line.strip_prefix("GET ").unwrap_or_default();
        let reply = match DATA.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => format!("+{value}\n"),
            None => "-\n".to_string(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let addr = start_key_value_server().await?;
    let pages = ["ada", "grace", "linus"].map(|user| profile_page(addr, user.to_string()));
    for page in futures::future::join_all(pages).await {
        println!("{}", page?);
    }
    Ok(())
}

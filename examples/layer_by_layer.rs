//! Porting a program one layer at a time from the async side, with portals.
//!
//! The program is a small line-based key-value server. Its middle layer, [`legacy`], was written
//! for a thread-per-connection server: `handle_line` takes the connection's session by `&mut`,
//! the server's configuration by `&`, and a blocking [`legacy::Store`], and it stays exactly as it
//! was. The port replaces the two ends:
//!
//! - the front end is an async TCP server on tokio, whose connection handler is an ordinary
//!   `async fn` that reads lines with `.await` and calls `legacy::handle_line` directly, handing it
//!   borrowed locals. It runs in a portal: `awaitlet::portal(handle_connection(..))` where the task
//!   is spawned (greenback's `ensure_portal`), so the sync code it calls may await;
//! - the back end is [`AsyncStore`], a `legacy::Store` whose methods await an async store with
//!   `awaitlet!`, in the middle of the handler's poll.
//!
//! Nothing in between changes, and no argument had to become owned or `'static`. `main` starts the
//! server on loopback and talks to it over a real socket.
//!
//! Run it with `cargo run --example layer_by_layer`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The layer the port keeps as it is: sync code with borrowed state, written for threads.
mod legacy {
    /// What the server knows about one connection.
    #[derive(Debug, Default)]
    pub struct Session {
        pub user: Option<String>,
        pub commands: usize,
    }

    /// The server's settings, shared by every connection.
    #[derive(Debug)]
    pub struct Config {
        pub greeting: String,
        pub max_value_len: usize,
    }

    /// Where values live. The original implementation was a blocking client of a database.
    pub trait Store {
        fn get(&self, key: &str) -> Option<String>;
        fn put(&self, key: &str, value: &str);
    }

    /// One command line in, one reply line out.
    pub fn handle_line(
        session: &mut Session,
        config: &Config,
        store: &dyn Store,
        line: &str,
    ) -> String {
        session.commands += 1;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("LOGIN"), Some(user), None) => {
                session.user = Some(user.to_string());
                format!("{}, {user}", config.greeting)
            }
            (Some(_), ..) if session.user.is_none() => "ERR login first".to_string(),
            (Some("GET"), Some(key), None) => store
                .get(&scoped(session, key))
                .unwrap_or_else(|| "NONE".to_string()),
            (Some("PUT"), Some(key), Some(value)) if value.len() <= config.max_value_len => {
                store.put(&scoped(session, key), value);
                "OK".to_string()
            }
            (Some("PUT"), Some(_), Some(_)) => "ERR value too long".to_string(),
            (Some("STATS"), None, None) => format!("{} commands", session.commands),
            _ => format!("ERR unknown command {line:?}"),
        }
    }

    /// Keys are per user.
    fn scoped(session: &Session, key: &str) -> String {
        format!("{}/{key}", session.user.as_deref().unwrap_or_default())
    }
}

/// The new back end: the store behind an async interface, as a networked database client would
/// be. Each call yields to the runtime at least once, as real I/O does.
#[derive(Debug, Default)]
struct AsyncBackend {
    values: RefCell<HashMap<String, String>>,
}

impl AsyncBackend {
    async fn get(&self, key: &str) -> Option<String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.values.borrow().get(key).cloned()
    }

    async fn put(&self, key: &str, value: &str) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.values
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
    }
}

/// The adapter at the bottom of the sync layer: a blocking `Store` whose calls await the async
/// back end. It runs inside the connection handler's poll, on the portal's stack.
struct AsyncStore(Rc<AsyncBackend>);

impl legacy::Store for AsyncStore {
    fn get(&self, key: &str) -> Option<String> {
        awaitlet::awaitlet!(self.0.get(key))
    }

    fn put(&self, key: &str, value: &str) {
        awaitlet::awaitlet!(self.0.put(key, value))
    }
}

/// The new front end: an ordinary `async fn` for one connection. Its session and the store
/// adapter are locals, lent to the sync layer by reference.
async fn handle_connection(
    stream: TcpStream,
    config: Rc<legacy::Config>,
    backend: Rc<AsyncBackend>,
) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut session = legacy::Session::default();
    let store = AsyncStore(backend);
    while let Some(line) = lines.next_line().await? {
        let reply = legacy::handle_line(&mut session, &config, &store, &line);
        write.write_all(format!("{reply}\n").as_bytes()).await?;
    }
    Ok(())
}

/// Accepts connections on `listener` forever, each in a task of its own, in a portal. Call it
/// inside a `LocalSet`: a portal stays on its thread.
async fn serve(listener: TcpListener, config: legacy::Config) -> io::Result<()> {
    let config = Rc::new(config);
    let backend = Rc::new(AsyncBackend::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let handler = handle_connection(stream, Rc::clone(&config), Rc::clone(&backend));
        // The one change at the spawn: the task's future runs in a portal. (Marking
        // `handle_connection` `#[async_def]` instead does the same inside the fn.)
        tokio::task::spawn_local(awaitlet::portal(handler));
    }
}

/// A client: sends each line and reads its reply, over a real socket.
async fn converse(addr: SocketAddr, lines: &[&str]) -> io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    let mut replies = BufReader::new(read).lines();
    let mut out = Vec::new();
    for line in lines {
        write.write_all(format!("{line}\n").as_bytes()).await?;
        out.push(replies.next_line().await?.unwrap_or_default());
    }
    Ok(out)
}

/// Starts the server on loopback and runs two clients against it at once.
async fn run() -> io::Result<(Vec<String>, Vec<String>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = legacy::Config {
        greeting: "welcome".to_string(),
        max_value_len: 8,
    };
    let server = tokio::task::spawn_local(serve(listener, config));
    let alice = converse(
        addr,
        &[
            "GET a",
            "LOGIN alice",
            "PUT a 1",
            "GET a",
            "PUT b far-too-long",
            "STATS",
        ],
    );
    let bob = converse(addr, &["LOGIN bob", "GET a", "PUT a 2", "GET a", "HELLO"]);
    let replies = futures::future::try_join(alice, bob).await;
    server.abort();
    replies
}

fn main() -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (alice, bob) = tokio::task::LocalSet::new().block_on(&runtime, run())?;
    for (who, replies) in [("alice", alice), ("bob", bob)] {
        for reply in replies {
            println!("{who} <- {reply}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        tokio::task::LocalSet::new().block_on(&runtime, future)
    }

    #[test]
    fn two_clients_over_real_sockets_get_their_own_sessions() {
        let (alice, bob) = block_on(run()).expect("the conversation");
        assert_eq!(
            alice,
            [
                "ERR login first",
                "welcome, alice",
                "OK",
                "1",
                "ERR value too long",
                "6 commands"
            ]
        );
        assert_eq!(
            bob,
            [
                "welcome, bob",
                "NONE",
                "OK",
                "2",
                "ERR unknown command \"HELLO\""
            ]
        );
    }

    /// The legacy layer over an in-memory blocking store, as the threaded server ran it: the
    /// port did not change it.
    #[test]
    fn the_legacy_layer_still_runs_without_async() {
        struct Memory(RefCell<HashMap<String, String>>);
        impl legacy::Store for Memory {
            fn get(&self, key: &str) -> Option<String> {
                self.0.borrow().get(key).cloned()
            }
            fn put(&self, key: &str, value: &str) {
                self.0.borrow_mut().insert(key.into(), value.into());
            }
        }
        let store = Memory(RefCell::default());
        let config = legacy::Config {
            greeting: "hi".into(),
            max_value_len: 4,
        };
        let mut session = legacy::Session::default();
        let replies: Vec<_> = ["LOGIN c", "PUT k v", "GET k"]
            .iter()
            .map(|line| legacy::handle_line(&mut session, &config, &store, line))
            .collect();
        assert_eq!(replies, ["hi, c", "OK", "v"]);
    }
}

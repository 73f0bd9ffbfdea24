//! The lock scenario of issue 12: an axum server on the multi-thread runtime whose
//! `#[async_def(send)]` handlers run a business layer that guards a read-modify-write with a lock
//! held across its I/O. With `std::sync::Mutex` 200 concurrent requests hang the server: two calls
//! on one pool thread, one holding the lock suspended in an `awaitlet!`, the other blocking that
//! thread in `Mutex::lock`. With `awaitlet::sync::Mutex`, the one `use` line changed, they all
//! complete with the right totals, while plain threads run the same layer on the same ledger.
//!
//! The ledger's store is a key-value service on loopback, reached over a fresh TCP connection per
//! request: through `awaitlet!` on a coroutine, through a blocking socket on a plain thread.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use awaitlet::{async_def, awaitlet};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use futures::future::join_all;
use reqwest::Client;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ---- The business layer, written for threads: unchanged but for one `use` line.

mod ledger {
    use std::io;

    use awaitlet::sync::Mutex; // was: use std::sync::Mutex;

    /// Where the balances live.
    pub trait Store {
        fn load(&self, account: &str) -> io::Result<u64>;
        fn save(&self, account: &str, balance: u64) -> io::Result<()>;
    }

    /// Accounts over a [`Store`] that knows nothing of concurrent updates: the ledger serializes
    /// them.
    pub struct Ledger<S> {
        updates: Mutex<()>,
        store: S,
    }

    impl<S: Store> Ledger<S> {
        pub fn new(store: S) -> Self {
            Ledger {
                updates: Mutex::new(()),
                store,
            }
        }

        /// Adds `amount` and returns the new balance. The load and the save are I/O: the lock
        /// is held across both, or two deposits could load the same balance.
        pub fn deposit(&self, account: &str, amount: u64) -> io::Result<u64> {
            let _update = self.updates.lock().unwrap();
            let balance = self.store.load(account)? + amount;
            self.store.save(account, balance)?;
            Ok(balance)
        }

        pub fn balance(&self, account: &str) -> io::Result<u64> {
            let _update = self.updates.lock().unwrap();
            self.store.load(account)
        }
    }
}

use ledger::{Ledger, Store};

// ---- The store's client: async on a coroutine, blocking on a plain thread.

/// The key-value service's protocol, one line each way: `GET key` is answered by the number
/// (0 for a new key), `SET key n` by `OK`.
struct KvClient {
    addr: SocketAddr,
}

impl KvClient {
    fn request(&self, line: String) -> io::Result<String> {
        if awaitlet::in_async_def() {
            awaitlet!(async {
                let mut stream = TcpStream::connect(self.addr).await?;
                stream.write_all(line.as_bytes()).await?;
                let mut reply = String::new();
                BufReader::new(stream).read_line(&mut reply).await?;
                Ok(reply)
            })
        } else {
            let mut stream = std::net::TcpStream::connect(self.addr)?;
            stream.write_all(line.as_bytes())?;
            let mut reply = String::new();
            io::BufReader::new(stream).read_line(&mut reply)?;
            Ok(reply)
        }
    }
}

impl Store for KvClient {
    fn load(&self, account: &str) -> io::Result<u64> {
        let reply = self.request(format!("GET {account}\n"))?;
        reply
            .trim()
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, reply))
    }

    fn save(&self, account: &str, balance: u64) -> io::Result<()> {
        match self.request(format!("SET {account} {balance}\n"))?.as_str() {
            "OK\n" => Ok(()),
            reply => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                reply.to_string(),
            )),
        }
    }
}

/// Serves the key-value protocol on a free loopback port, one task per connection.
async fn start_kv_service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let values = Arc::new(std::sync::Mutex::new(HashMap::<String, u64>::new()));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let values = Arc::clone(&values);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                BufReader::new(read).read_line(&mut line).await?;
                // Held for the lookup only, never across an `.await`.
                let reply = {
                    let mut values = values.lock().unwrap();
                    match line.split_whitespace().collect::<Vec<_>>().as_slice() {
                        ["GET", key] => format!("{}\n", values.get(*key).copied().unwrap_or(0)),
                        ["SET", key, n] => match n.parse() {
                            Ok(n) => {
                                values.insert(key.to_string(), n);
                                "OK\n".to_string()
                            }
                            Err(_) => "ERROR\n".to_string(),
                        },
                        _ => "ERROR\n".to_string(),
                    }
                };
                write.write_all(reply.as_bytes()).await
            });
        }
    });
    addr
}

// ---- The web front end: sync handlers run on awaitlet's pinned pool.

type App = Arc<Ledger<KvClient>>;

#[async_def(send)]
fn deposit(
    State(ledger): State<App>,
    Path((account, amount)): Path<(String, u64)>,
) -> Result<String, StatusCode> {
    let balance = ledger
        .deposit(&account, amount)
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(balance.to_string())
}

#[async_def(send)]
fn balance(State(ledger): State<App>, Path(account): Path<String>) -> Result<String, StatusCode> {
    let balance = ledger
        .balance(&account)
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(balance.to_string())
}

fn router(ledger: App) -> Router {
    Router::new()
        .route("/deposit/{account}/{amount}", post(deposit))
        .route("/balance/{account}", get(balance))
        .with_state(ledger)
}

/// Starts the key-value service and the web server; returns the ledger and the server's URL.
async fn start() -> (App, String) {
    let ledger = Arc::new(Ledger::new(KvClient {
        addr: start_kv_service().await,
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(Arc::clone(&ledger));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (ledger, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_and_plain_threads_share_the_locked_ledger() {
    const REQUESTS: u64 = 200;
    const THREADS: u64 = 4;
    const THREAD_DEPOSITS: u64 = 25;
    let (ledger, base) = start().await;

    // Plain threads deposit through the same ledger meanwhile: they block in `lock`, while the
    // handlers' coroutines suspend in it.
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                (0..THREAD_DEPOSITS)
                    .map(|_| ledger.deposit("alice", 1).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let client = Client::new();
    let requests = (0..REQUESTS).map(|_| async {
        let response = client
            .post(format!("{base}/deposit/alice/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap().parse::<u64>().unwrap()
    });
    let mut balances: Vec<u64> = join_all(requests).await;
    for thread in threads {
        balances.extend(thread.join().unwrap());
    }

    // Every deposit saw the balance the one before it left: each new balance exactly once.
    let total = REQUESTS + THREADS * THREAD_DEPOSITS;
    assert_eq!(balances.len() as u64, total);
    assert_eq!(
        balances.into_iter().collect::<BTreeSet<_>>(),
        (1..=total).collect()
    );
    let response = client
        .get(format!("{base}/balance/alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), total.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_layer_runs_on_plain_threads_alone() {
    let ledger = Arc::new(Ledger::new(KvClient {
        addr: start_kv_service().await,
    }));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    ledger.deposit("bob", 2).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        tokio::task::spawn_blocking(move || thread.join().unwrap())
            .await
            .unwrap();
    }
    assert_eq!(ledger.balance("bob").unwrap(), 400);
}

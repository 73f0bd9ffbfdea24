//! An axum server on tokio's multi-thread runtime whose handlers run a blocking-style business
//! layer, unchanged, through `#[async_def(send)]`.
//!
//! The shop below was written for threads: `Shop` holds the business rules and reaches the stock
//! service through a sync trait, `Inventory`, whose first implementation, `BlockingInventory`,
//! speaks the service's line protocol over a blocking socket. Porting it to an async web server
//! changed only the two ends. At the bottom, `RemoteInventory` speaks the same protocol over a
//! tokio socket, each write and read an `awaitlet!`. At the top, the axum handlers are sync fns
//! marked `#[async_def(send)]`: axum needs `Send` handler futures, and `send` gives them one by
//! running each handler's body on a coroutine of awaitlet's pinned pool. `Shop` and `Inventory`
//! are not touched: no `async`, no `.await`, and the `RefCell` inside `RemoteInventory` is fine,
//! because a coroutine never changes thread.
//!
//! The stock service is a small TCP server of its own, started in this process on loopback.
//!
//! Run it with `cargo run --example axum_server` and try
//! `curl localhost:3000/items/apple` or
//! `curl -H 'content-type: application/json' -d '{"item":"pear","quantity":2}' localhost:3000/orders`;
//! give another address as the first argument. Its test, `examples/tests/axum_server.rs`, starts it
//! on a free port and sends it hundreds of requests at once with an HTTP client.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use awaitlet::{async_def, awaitlet};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ---- The business layer: sync code, written once, shared by the threaded and the async server.

/// What the shop needs from the stock service.
pub trait Inventory {
    /// The price of one `item`, in cents; `None` for an item the service does not know.
    fn price(&self, item: &str) -> io::Result<Option<u32>>;
    /// How many of `item` are in stock; `None` for an unknown item.
    fn stock(&self, item: &str) -> io::Result<Option<u32>>;
    /// Takes `count` of `item` out of stock, all or nothing.
    fn take(&self, item: &str, count: u32) -> io::Result<Taken>;
}

/// The outcome of [`Inventory::take`].
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    Done { remaining: u32 },
    Short { available: u32 },
    Unknown,
}

/// The most of one item a single order may ask for.
pub const MAX_PER_ORDER: u32 = 50;

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemInfo {
    pub item: String,
    pub price_cents: u32,
    pub in_stock: u32,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub item: String,
    pub quantity: u32,
    pub total_cents: u32,
    pub remaining: u32,
}

#[derive(Debug)]
pub enum ShopError {
    UnknownItem(String),
    BadQuantity(u32),
    OutOfStock { item: String, available: u32 },
    Service(io::Error),
}

impl From<io::Error> for ShopError {
    fn from(error: io::Error) -> Self {
        ShopError::Service(error)
    }
}

impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShopError::UnknownItem(item) => write!(f, "no item named `{item}`"),
            ShopError::BadQuantity(quantity) => {
                write!(
                    f,
                    "cannot order {quantity}: between 1 and {MAX_PER_ORDER} per order"
                )
            }
            ShopError::OutOfStock { item, available } => {
                write!(f, "only {available} of `{item}` left")
            }
            ShopError::Service(error) => write!(f, "the stock service failed: {error}"),
        }
    }
}

/// The business rules, over any [`Inventory`].
pub struct Shop<I> {
    inventory: I,
}

impl<I: Inventory> Shop<I> {
    pub fn new(inventory: I) -> Self {
        Shop { inventory }
    }

    pub fn item(&self, item: &str) -> Result<ItemInfo, ShopError> {
        let unknown = || ShopError::UnknownItem(item.to_string());
        let price_cents = self.inventory.price(item)?.ok_or_else(unknown)?;
        let in_stock = self.inventory.stock(item)?.ok_or_else(unknown)?;
        Ok(ItemInfo {
            item: item.to_string(),
            price_cents,
            in_stock,
        })
    }

    /// Sells `quantity` of `item`: ten or more of one item cost 10% less.
    pub fn order(&self, item: &str, quantity: u32) -> Result<Receipt, ShopError> {
        if !(1..=MAX_PER_ORDER).contains(&quantity) {
            return Err(ShopError::BadQuantity(quantity));
        }
        let unknown = || ShopError::UnknownItem(item.to_string());
        let price = self.inventory.price(item)?.ok_or_else(unknown)?;
        match self.inventory.take(item, quantity)? {
            Taken::Done { remaining } => {
                let full = price * quantity;
                let total_cents = if quantity >= 10 {
                    full - full / 10
                } else {
                    full
                };
                Ok(Receipt {
                    item: item.to_string(),
                    quantity,
                    total_cents,
                    remaining,
                })
            }
            Taken::Short { available } => Err(ShopError::OutOfStock {
                item: item.to_string(),
                available,
            }),
            Taken::Unknown => Err(unknown()),
        }
    }
}

/// The stock service's protocol, one line each way: `PRICE item`, `STOCK item` and
/// `TAKE item count`, answered by `OK n`, `SHORT n` or `UNKNOWN`.
fn parse_reply(line: &str) -> io::Result<Taken> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("bad reply {line:?}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |n: &str| n.parse::<u32>().map_err(|_| bad());
    match words.as_slice() {
        ["OK", n] => Ok(Taken::Done {
            remaining: number(n)?,
        }),
        ["SHORT", n] => Ok(Taken::Short {
            available: number(n)?,
        }),
        ["UNKNOWN"] => Ok(Taken::Unknown),
        _ => Err(bad()),
    }
}

/// A connection to the stock service: one request line out, one reply line back.
pub trait StockConnection {
    fn request(&self, line: String) -> io::Result<Taken>;
}

/// Every connection to the stock service is an `Inventory`.
impl<C: StockConnection> Inventory for C {
    fn price(&self, item: &str) -> io::Result<Option<u32>> {
        count(self.request(format!("PRICE {item}\n"))?)
    }
    fn stock(&self, item: &str) -> io::Result<Option<u32>> {
        count(self.request(format!("STOCK {item}\n"))?)
    }
    fn take(&self, item: &str, count: u32) -> io::Result<Taken> {
        self.request(format!("TAKE {item} {count}\n"))
    }
}

/// The number in the reply to `PRICE` or `STOCK`.
fn count(reply: Taken) -> io::Result<Option<u32>> {
    match reply {
        Taken::Done { remaining } => Ok(Some(remaining)),
        Taken::Unknown => Ok(None),
        Taken::Short { .. } => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unexpected SHORT",
        )),
    }
}

// ---- The original bottom layer: blocking sockets.

/// The stock service over a blocking `std::net` socket, as the threaded shop used it.
pub struct BlockingInventory {
    stream: RefCell<io::BufReader<std::net::TcpStream>>,
}

impl BlockingInventory {
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = std::net::TcpStream::connect(addr)?;
        Ok(BlockingInventory {
            stream: RefCell::new(io::BufReader::new(stream)),
        })
    }
}

impl StockConnection for BlockingInventory {
    fn request(&self, line: String) -> io::Result<Taken> {
        use std::io::{BufRead, Write};
        let mut stream = self.stream.borrow_mut();
        stream.get_mut().write_all(line.as_bytes())?;
        let mut reply = String::new();
        stream.read_line(&mut reply)?;
        parse_reply(&reply)
    }
}

// ---- The new bottom layer: the same protocol over a tokio socket, through `awaitlet!`.

/// The stock service over a tokio socket. Only usable inside an `async_def`: every write and read
/// is an `awaitlet!`, which suspends the handler's coroutine instead of blocking its thread.
pub struct RemoteInventory {
    stream: RefCell<BufReader<TcpStream>>,
}

impl RemoteInventory {
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = awaitlet!(TcpStream::connect(addr))?;
        Ok(RemoteInventory {
            stream: RefCell::new(BufReader::new(stream)),
        })
    }
}

impl StockConnection for RemoteInventory {
    fn request(&self, line: String) -> io::Result<Taken> {
        let mut stream = self.stream.borrow_mut();
        awaitlet!(stream.get_mut().write_all(line.as_bytes()))?;
        let mut reply = String::new();
        awaitlet!(stream.read_line(&mut reply))?;
        parse_reply(&reply)
    }
}

// ---- The new front end: axum handlers, whose bodies run on pinned coroutines.

#[derive(Clone)]
pub struct App {
    stock_service: SocketAddr,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct OrderRequest {
    pub item: String,
    pub quantity: u32,
}

/// A `ShopError` as an HTTP response: a status and `{"error": "..."}`.
pub struct ApiError(ShopError);

impl From<ShopError> for ApiError {
    fn from(error: ShopError) -> Self {
        ApiError(error)
    }
}

impl From<io::Error> for ApiError {
    fn from(error: io::Error) -> Self {
        ApiError(ShopError::Service(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0 {
            ShopError::UnknownItem(_) => StatusCode::NOT_FOUND,
            ShopError::BadQuantity(_) => StatusCode::BAD_REQUEST,
            ShopError::OutOfStock { .. } => StatusCode::CONFLICT,
            ShopError::Service(_) => StatusCode::BAD_GATEWAY,
        };
        let body = Json(serde_json::json!({ "error": self.0.to_string() }));
        (status, body).into_response()
    }
}

#[async_def(send)]
fn get_item(State(app): State<App>, Path(item): Path<String>) -> Result<Json<ItemInfo>, ApiError> {
    let shop = Shop::new(RemoteInventory::connect(app.stock_service)?);
    Ok(Json(shop.item(&item)?))
}

#[async_def(send)]
fn place_order(
    State(app): State<App>,
    Json(order): Json<OrderRequest>,
) -> Result<Json<Receipt>, ApiError> {
    let shop = Shop::new(RemoteInventory::connect(app.stock_service)?);
    Ok(Json(shop.order(&order.item, order.quantity)?))
}

/// The web API: `GET /items/{item}` and `POST /orders`.
pub fn router(stock_service: SocketAddr) -> Router {
    Router::new()
        .route("/items/{item}", get(get_item))
        .route("/orders", post(place_order))
        .with_state(App { stock_service })
}

// ---- The stock service, a separate server that happens to run in this process.

/// One item of the stock service: its price in cents and how many there are.
pub type Stock = HashMap<String, (u32, u32)>;

/// Serves `stock` on a free loopback port, one task per connection.
pub async fn start_stock_service(stock: Stock) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stock = Arc::new(Mutex::new(stock));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_stock(stream, Arc::clone(&stock)));
        }
    });
    Ok(addr)
}

async fn serve_stock(stream: TcpStream, stock: Arc<Mutex<Stock>>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = answer(&line, &mut stock.lock().unwrap());
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

fn answer(request: &str, stock: &mut Stock) -> String {
    let words: Vec<&str> = request.split_whitespace().collect();
    match words.as_slice() {
        ["PRICE", item] => stock
            .get(*item)
            .map_or("UNKNOWN\n".into(), |(price, _)| format!("OK {price}\n")),
        ["STOCK", item] => stock
            .get(*item)
            .map_or("UNKNOWN\n".into(), |(_, count)| format!("OK {count}\n")),
        ["TAKE", item, count] => match (stock.get_mut(*item), count.parse::<u32>()) {
            (None, _) => "UNKNOWN\n".into(),
            (Some((_, left)), Ok(count)) if count <= *left => {
                *left -= count;
                format!("OK {left}\n")
            }
            (Some((_, left)), Ok(_)) => format!("SHORT {left}\n"),
            (Some(_), Err(_)) => "ERROR\n".into(),
        },
        _ => "ERROR\n".into(),
    }
}

/// What the demo shop sells: price in cents, count in stock.
pub fn demo_stock() -> Stock {
    HashMap::from([
        ("apple".to_string(), (50, 100)),
        ("pear".to_string(), (80, 20)),
    ])
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let stock_service = start_stock_service(demo_stock()).await?;
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(stock_service)).await
}

//! Runs the `axum_server` example for real: the server on a free loopback port of the
//! multi-thread runtime, its stock service beside it, and hundreds of concurrent requests from
//! an HTTP client, every response checked.

#[allow(dead_code, reason = "the example's `main` is for `cargo run`")]
#[path = "../axum_server.rs"]
mod axum_server;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum_server::{BlockingInventory, ItemInfo, OrderRequest, Receipt, Shop};
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Starts the example's stock service and web server; returns the server's base URL and the
/// stock service's address.
async fn start() -> (String, SocketAddr) {
    let stock_service = axum_server::start_stock_service(axum_server::demo_stock())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum_server::router(stock_service))
            .await
            .unwrap()
    });
    (base, stock_service)
}

async fn order(client: &Client, base: &str, item: &str, quantity: u32) -> (StatusCode, Value) {
    let request = OrderRequest {
        item: item.to_string(),
        quantity,
    };
    let response = client
        .post(format!("{base}/orders"))
        .json(&request)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_serves_hundreds_of_requests_at_once() {
    let (base, stock_service) = start().await;
    let client = Client::new();

    // Reads, all at once.
    let reads = (0..100).map(|_| async {
        let response = client
            .get(format!("{base}/items/apple"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<ItemInfo>().await.unwrap()
    });
    for info in join_all(reads).await {
        let expected = ItemInfo {
            item: "apple".into(),
            price_cents: 50,
            in_stock: 100,
        };
        assert_eq!(info, expected);
    }

    // 100 orders of one apple each and 30 of one pear each, all at once: each apple order sees
    // its own remaining count, and exactly 20 of the pear orders get one of the 20 pears.
    let apples = (0..100).map(|_| order(&client, &base, "apple", 1));
    let pears = (0..30).map(|_| order(&client, &base, "pear", 1));
    let (apples, pears) = futures::join!(join_all(apples), join_all(pears));
    let mut remaining = BTreeSet::new();
    for (status, body) in apples {
        assert_eq!(status, StatusCode::OK, "{body}");
        let receipt: Receipt = serde_json::from_value(body).unwrap();
        assert_eq!(
            (receipt.item.as_str(), receipt.quantity, receipt.total_cents),
            ("apple", 1, 50)
        );
        remaining.insert(receipt.remaining);
    }
    assert_eq!(remaining, (0..100).collect());
    let sold: Vec<_> = pears
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .collect();
    assert_eq!(sold.len(), 20);
    for (status, body) in pears.iter().filter(|(status, _)| *status != StatusCode::OK) {
        assert_eq!(*status, StatusCode::CONFLICT);
        assert_eq!(body["error"], "only 0 of `pear` left");
    }

    // The same business layer, over the original blocking socket on a plain thread, agrees.
    let stock = std::thread::spawn(move || {
        let shop = Shop::new(BlockingInventory::connect(stock_service).unwrap());
        (
            shop.item("apple").unwrap().in_stock,
            shop.item("pear").unwrap().in_stock,
        )
    });
    assert_eq!(stock.join().unwrap(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_errors_become_http_statuses() {
    let (base, _) = start().await;
    let client = Client::new();

    let response = client
        .get(format!("{base}/items/banana"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "no item named `banana`");

    let (status, body) = order(&client, &base, "apple", 0).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "cannot order 0: between 1 and 50 per order");

    let (status, body) = order(&client, &base, "kiwi", 1).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no item named `kiwi`");

    // Ten or more of one item cost 10% less.
    let (status, body) = order(&client, &base, "pear", 10).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt: Receipt = serde_json::from_value(body).unwrap();
    assert_eq!((receipt.total_cents, receipt.remaining), (720, 10));

    let (status, body) = order(&client, &base, "pear", 11).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "only 10 of `pear` left");

    // A body that is not an order is axum's to refuse, before any handler runs.
    let response = client
        .post(format!("{base}/orders"))
        .header("content-type", "application/json")
        .body("{\"item\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_service_that_is_down_is_a_bad_gateway() {
    // A port nothing listens on: the connect inside the handler's coroutine fails.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = unused.local_addr().unwrap();
    drop(unused);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum_server::router(dead))
            .await
            .unwrap()
    });
    let response = Client::new()
        .get(format!("{base}/items/apple"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("the stock service failed: "), "{error}");
}

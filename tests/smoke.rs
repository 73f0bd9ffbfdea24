use awaitlet::{async_def, awaitlet};
use std::rc::Rc;

fn middle(n: u32, f: impl Fn(u32) -> u32) -> u32 { f(n) + f(n + 1) }

#[async_def]
fn api(n: u32) -> u32 {
    middle(n, |i| awaitlet!(async move { tokio::task::yield_now().await; i * 10 }))
}

struct S(u32);
impl S {
    #[async_def]
    fn get(self: Rc<Self>, add: String) -> Result<u32, String> {
        let x: u32 = add.parse().map_err(|e: std::num::ParseIntError| e.to_string())?;
        if x == 0 { return Ok(0); }
        Ok(self.0 + x + awaitlet!(async { 1 }))
    }
}

#[tokio::test(flavor = "current_thread")]
async fn smoke() {
    assert_eq!(api(1).await, 30);
    assert_eq!(Rc::new(S(2)).get("3".into()).await, Ok(6));
    assert!(Rc::new(S(2)).get("x".into()).await.is_err());
    let r = std::panic::catch_unwind(|| awaitlet!(async {1}));
    let msg = r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("outside of an async_def"), "{msg}");
    let nested = awaitlet::async_def(|| awaitlet!(awaitlet::async_def(|| awaitlet!(api(2)) + 1)));
    assert_eq!(nested.await, 51);
}

//! Runnable examples of `awaitlet`; see `README.md` here.

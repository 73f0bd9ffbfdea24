//! Integration tests of `awaitlet`; see the files next to this one.

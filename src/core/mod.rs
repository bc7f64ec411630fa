//! Pure Rust: no Ruby types. Everything here is tested by `cargo test`.

pub mod cmsg;
pub mod constants;
pub mod unix_addr;

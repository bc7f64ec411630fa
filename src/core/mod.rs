//! Pure Rust: no Ruby types. Everything here is tested by `cargo test`.

pub mod constants;
pub mod unix_addr;
pub mod resolve;
pub mod sockaddr;

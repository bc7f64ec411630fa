//! Pure Rust: no Ruby types. Everything here is tested by `cargo test`.

pub mod cmsg;
pub mod constants;
pub mod option_inspect;
pub mod resolve;
pub mod sockaddr;
pub mod sockaddr_message;
pub mod sys;

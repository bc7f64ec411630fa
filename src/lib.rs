//! socket_rs: Ruby's socket extension, rebuilt in Rust.
//!
//! `core` is plain Rust; `ruby` binds it, one file per Ruby class;
//! `io_bridge` owns fd-to-IO wrapping and waiting; `errors` builds every
//! exception; `convert` holds the argument coercions all classes share.

pub mod core;

mod compat;
mod convert;
mod errors;
mod ffi;
mod io_bridge;
mod ruby;

use magnus::{prelude::*, Error, Ruby};

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let version: String = ruby.class_object().const_get("RUBY_VERSION")?;
    compat::init(&version);
    ruby::init(ruby)
}

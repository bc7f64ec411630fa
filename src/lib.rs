//! socket_rs: Ruby's socket extension, rebuilt in Rust.
//!
//! `core` is plain Rust (`core::sys` makes every system call); `ruby`
//! binds it, one file per Ruby class; `io_bridge` owns fd-to-IO wrapping,
//! waiting and the one retry loop; `buffer` holds Ruby Strings during a
//! call; `errors` builds every exception; `convert` holds the argument
//! coercions all classes share. ARCHITECTURE.md has the whole map.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod core;

mod buffer;
mod compat;
mod convert;
mod errors;
mod ffi;
mod io_bridge;
mod ruby;

use magnus::{prelude::*, Error, Ruby};

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    // Ractor-safe, as stock's extension declares itself: every method
    // defined from here on may run in a non-main Ractor. What the crate
    // keeps globally is behind locks or set once (OnceLock), the classes it
    // caches are shareable, and an Addrinfo is set once and then read only.
    // SAFETY: called before any method is defined; it only sets a flag.
    unsafe { rb_sys::rb_ext_ractor_safe(true) };
    let version: String = ruby.class_object().const_get("RUBY_VERSION")?;
    compat::init(&version);
    ruby::init(ruby)
}

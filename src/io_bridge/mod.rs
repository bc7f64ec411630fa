//! The one owner of "how a Ruby IO wraps a socket fd" and "how we wait".
//!
//! Sockets are created close-on-exec and non-blocking, as the stock extension
//! does on Ruby 3.x. A call is tried with the GVL held (it cannot block: the
//! fd is non-blocking or the call passes MSG_DONTWAIT); on EAGAIN it waits
//! with rb_io_wait, which releases the GVL, honours a fiber scheduler, and is
//! woken by Thread#kill, Thread#raise, Timeout and by a close from another
//! thread, then it tries again. rb_io_wait raises in those cases, so it is
//! called through `errors::protect` with no owning Rust values in between.
//!
//! `io` holds the rb_io_t side, `wait` the waits, `calls` the retry loop
//! and the GVL, `sockets` socket creation, connect and accept.

mod calls;
mod io;
mod sockets;
mod wait;

pub use calls::*;
pub use io::*;
pub use sockets::*;
pub use wait::*;

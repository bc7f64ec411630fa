//! UNIXServer < UNIXSocket: a listening UNIX stream socket.

use crate::errors::{self, WouldBlock};
use crate::io_bridge;
use crate::ruby::basic_socket::{listen, nonblock_args};
use crate::ruby::unix_socket::init_unixsock;
use magnus::{method, prelude::*, value::Lazy, Error, RClass, Ruby, Value};

static UNIX_SOCKET: Lazy<RClass> = Lazy::new(|ruby| {
    ruby.class_object()
        .const_get("UNIXSocket")
        .expect("UNIXSocket is defined before UNIXServer")
});

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("UNIXServer", superclass)?;
    class.define_method("initialize", method!(initialize, 1))?;
    class.define_method("accept", method!(accept, 0))?;
    class.define_private_method("__accept_nonblock", method!(accept_nonblock, -1))?;
    class.define_method("sysaccept", method!(sysaccept, 0))?;
    class.define_method("listen", method!(listen, 1))?;
    Ok(class)
}

fn initialize(ruby: &Ruby, rb_self: Value, path: Value) -> Result<Value, Error> {
    init_unixsock(ruby, rb_self, path, true)
}

/// UNIXServer#accept -> a new UNIXSocket for the next connection.
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, _) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    io_bridge::wrap_fd(ruby, ruby.get_inner(&UNIX_SOCKET), fd)
}

/// UNIXServer#sysaccept -> the new connection's fd.
fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    let (fd, _) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    Ok(fd)
}

/// UNIXServer#accept_nonblock(exception: true)
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (_, exception) = nonblock_args(ruby, args, 0)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    match io_bridge::accept_once(fd) {
        Ok((new_fd, _)) => io_bridge::wrap_fd(ruby, ruby.get_inner(&UNIX_SOCKET), new_fd),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            if !matches!(errno, libc::EAGAIN | libc::ECONNABORTED | libc::EPROTO) {
                return Err(errors::syserr(ruby, errno, "accept(2)"));
            }
            if !exception {
                return Ok(crate::convert::wait_readable(ruby));
            }
            Err(errors::would_block(
                ruby,
                WouldBlock::Read,
                errno,
                "accept(2) would block",
            ))
        }
    }
}

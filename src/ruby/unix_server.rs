//! UNIXServer < UNIXSocket: a listening UNIX stream socket.

use crate::io_bridge;
use crate::ruby::shared::{accept_fd, accept_nonblock_with, listen};
use crate::ruby::unix_socket::init_unixsock;
use magnus::{method, prelude::*, value::Lazy, Error, RClass, Ruby, Value};
use std::os::fd::IntoRawFd;

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

/// #accept -> a new UNIXSocket for the next connection.
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, _) = accept_fd(ruby, rb_self)?;
    io_bridge::wrap_fd(ruby, ruby.get_inner(&UNIX_SOCKET), fd)
}

/// #sysaccept -> the new connection's fd.
fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    // The caller owns the number from here on.
    Ok(accept_fd(ruby, rb_self)?.0.into_raw_fd())
}

/// #accept_nonblock(exception: true)
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    accept_nonblock_with(ruby, rb_self, args, |fd, _| {
        io_bridge::wrap_fd(ruby, ruby.get_inner(&UNIX_SOCKET), fd)
    })
}

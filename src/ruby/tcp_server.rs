//! TCPServer < TCPSocket: a listening TCP socket.

use crate::convert::positional;
use crate::io_bridge;
use crate::ruby::ip_socket::{init_inetsock, InetArgs, InetRole};
use crate::ruby::shared::{accept_fd, accept_nonblock_with, listen};
use magnus::{method, prelude::*, value::Lazy, Error, RClass, Ruby, Value};
use std::os::fd::IntoRawFd;

static TCP_SOCKET: Lazy<RClass> = Lazy::new(|ruby| {
    ruby.class_object()
        .const_get("TCPSocket")
        .expect("TCPSocket is defined before TCPServer")
});

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("TCPServer", superclass)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_method("accept", method!(accept, 0))?;
    class.define_private_method("__accept_nonblock", method!(accept_nonblock, -1))?;
    class.define_method("sysaccept", method!(sysaccept, 0))?;
    class.define_method("listen", method!(listen, 1))?;
    Ok(class)
}

/// TCPServer.new([hostname,] port)
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (host, port) = match positional::<1, 1>(ruby, args)? {
        ([host], [Some(port)]) => (host, port),
        ([port], [None]) => (ruby.qnil().as_value(), port),
    };
    let nil = ruby.qnil().as_value();
    let inet = InetArgs {
        remote_host: host,
        remote_serv: port,
        local_host: nil,
        local_serv: nil,
        role: InetRole::Server,
        resolv_timeout: None,
        connect_timeout: None,
        open_timeout: None,
        resolved: None,
    };
    init_inetsock(ruby, rb_self, &inet)
}

/// #accept -> a new TCPSocket for the next connection.
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, _) = accept_fd(ruby, rb_self)?;
    io_bridge::wrap_fd(ruby, ruby.get_inner(&TCP_SOCKET), fd)
}

/// #sysaccept -> the new connection's fd.
fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    // The caller owns the number from here on.
    Ok(accept_fd(ruby, rb_self)?.0.into_raw_fd())
}

/// #accept_nonblock(exception: true)
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    accept_nonblock_with(ruby, rb_self, args, |fd, _| {
        io_bridge::wrap_fd(ruby, ruby.get_inner(&TCP_SOCKET), fd)
    })
}

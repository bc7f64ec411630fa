//! TCPServer < TCPSocket: a listening TCP socket.

use crate::errors::{self, WouldBlock};
use crate::io_bridge;
use crate::ruby::basic_socket::{listen, nonblock_args};
use crate::ruby::ip_socket::{init_inetsock, InetArgs, InetRole};
use magnus::{method, prelude::*, scan_args::scan_args, value::Lazy, Error, RClass, Ruby, Value};

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
    let args = scan_args::<(Value,), (Option<Value>,), (), (), (), ()>(args)?;
    let (host, port) = match args.optional.0 {
        Some(port) => (args.required.0, port),
        None => (ruby.qnil().as_value(), args.required.0),
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
    };
    init_inetsock(ruby, rb_self, &inet)
}

/// TCPServer#accept -> a TCPSocket for the next connection.
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, _) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    io_bridge::wrap_fd(ruby, ruby.get_inner(&TCP_SOCKET), fd)
}

/// TCPServer#sysaccept -> the new connection's fd.
fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    let (fd, _) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    Ok(fd)
}

/// TCPServer#accept_nonblock(exception: true)
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (_, exception) = nonblock_args(ruby, args, 0)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    match io_bridge::accept_once(fd) {
        Ok((new_fd, _)) => io_bridge::wrap_fd(ruby, ruby.get_inner(&TCP_SOCKET), new_fd),
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

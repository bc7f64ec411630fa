//! UDPSocket < IPSocket: datagrams over IPv4 or IPv6.

use crate::convert::positional;
use crate::convert::{family_arg, string_value};
use crate::core::resolve::Hints;
use crate::errors;
use crate::io_bridge;
use crate::ruby::ip_socket::{bind_fd, recvfrom_result};
use crate::ruby::resolution::getaddrinfo;
use crate::ruby::shared::receive_nonblock;
use magnus::{method, prelude::*, Error, RClass, Ruby, Value};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("UDPSocket", superclass)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_method("bind", method!(bind, 2))?;
    class.define_method("connect", method!(connect, 2))?;
    class.define_method("send", method!(send, -1))?;
    class.define_private_method("__recvfrom_nonblock", method!(recvfrom_nonblock, -1))?;
    Ok(class)
}

/// UDPSocket.new(address_family = Socket::AF_INET)
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let ([], [family]) = positional::<0, 1>(ruby, args)?;
    let family = match family {
        Some(f) => family_arg(ruby, f)?,
        None => libc::AF_INET,
    };
    let fd = io_bridge::new_socket(family, libc::SOCK_DGRAM, 0)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2) - udp"))?;
    io_bridge::init_sock(ruby, rb_self, fd)
}

/// The addresses of host/port in the socket's own family (stock resolves
/// with socktype 0, numeric ports as datagram services).
fn resolve_for(ruby: &Ruby, io: Value, host: Value, port: Value) -> Result<Vec<Vec<u8>>, Error> {
    let family = io_bridge::with_fd(ruby, io, io_bridge::socket_family)?;
    // SOCK_DGRAM as stock's rsock_addrinfo call: a service known only for
    // TCP ("http") fails to resolve instead of binding its port.
    let hints = Hints {
        family,
        socktype: libc::SOCK_DGRAM,
        ..Default::default()
    };
    Ok(getaddrinfo(ruby, host, port, hints, true, None)?
        .into_iter()
        .map(|ai| ai.addr.to_vec())
        .collect())
}

/// UDPSocket#bind(host, port) -> 0
fn bind(ruby: &Ruby, rb_self: Value, host: Value, port: Value) -> Result<i32, Error> {
    let mut errno = libc::EADDRNOTAVAIL;
    for sa in resolve_for(ruby, rb_self, host, port)? {
        match io_bridge::with_fd(ruby, rb_self, |fd| bind_fd(fd, &sa))? {
            Ok(()) => return Ok(0),
            Err(e) => errno = e,
        }
    }
    Err(errors::syserr_host_port(ruby, errno, "bind(2)", host, port))
}

/// UDPSocket#connect(host, port) -> 0
fn connect(ruby: &Ruby, rb_self: Value, host: Value, port: Value) -> Result<i32, Error> {
    let mut errno = libc::EADDRNOTAVAIL;
    for sa in resolve_for(ruby, rb_self, host, port)? {
        match io_bridge::connect(ruby, rb_self, &sa, None)? {
            Ok(()) => return Ok(0),
            Err(e) => errno = e.raw_os_error().unwrap_or(libc::EIO),
        }
    }
    Err(errors::syserr_host_port(
        ruby,
        errno,
        "connect(2)",
        host,
        port,
    ))
}

/// UDPSocket#send(mesg, flags, host, port); with 2 or 3 arguments it is
/// BasicSocket#send.
fn send(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<usize, Error> {
    if args.len() == 2 || args.len() == 3 {
        return crate::ruby::basic_socket::send(ruby, rb_self, args);
    }
    let ([mesg, flags, host, port], []) = positional::<4, 0>(ruby, args)?;
    let mesg = string_value(mesg)?;
    let flags = crate::convert::num2int(flags)?;
    let mut errno = libc::EADDRNOTAVAIL;
    for sa in resolve_for(ruby, rb_self, host, port)? {
        let held = io_bridge::Buffer::Send(mesg);
        let outcome = io_bridge::run(ruby, rb_self, io_bridge::Retry::SEND, held, |fd, bytes| {
            crate::core::sys::sendto(fd, bytes.message(), flags | libc::MSG_DONTWAIT, &sa)
        })?;
        match outcome {
            Ok(n) => return Ok(n),
            Err(e) => errno = e.raw_os_error().unwrap_or(libc::EIO),
        }
    }
    Err(errors::syserr_host_port(
        ruby,
        errno,
        "sendto(2)",
        host,
        port,
    ))
}

/// UDPSocket#recvfrom_nonblock(maxlen, flags = 0, outbuf = nil, exception: true)
fn recvfrom_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let mut from = crate::core::sys::SockAddrBuf::new();
    receive_nonblock(ruby, rb_self, args, Some(&mut from))?.into_value(ruby, |buf| {
        Ok(recvfrom_result(ruby, rb_self, buf, &from)?.as_value())
    })
}

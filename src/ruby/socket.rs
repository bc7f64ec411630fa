//! Socket: the C-like socket API.

use crate::convert::{family_arg, num2int, opt_int, sockaddr_arg, socktype_arg};
use crate::errors::{self, WouldBlock};
use crate::io_bridge;
use crate::ruby::basic_socket::{
    exception_kwarg, listen, recv_buffer, recv_into, recv_nonblock_into, socket_addrinfo,
};
use magnus::{method, prelude::*, scan_args::scan_args, Error, IntoValue, RClass, Ruby, Value};
use std::os::fd::RawFd;

pub fn init(ruby: &Ruby, basic_socket: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("Socket", basic_socket)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("pair", method!(pair, -1))?;
    class.define_singleton_method("socketpair", method!(pair, -1))?;
    class.define_method("bind", method!(bind, 1))?;
    class.define_method("listen", method!(listen, 1))?;
    class.define_method("connect", method!(connect, 1))?;
    class.define_method("connect_nonblock", method!(connect_nonblock, -1))?;
    class.define_method("accept", method!(accept, 0))?;
    class.define_method("accept_nonblock", method!(accept_nonblock, -1))?;
    class.define_method("sysaccept", method!(sysaccept, 0))?;
    class.define_method("recvfrom", method!(recvfrom, -1))?;
    class.define_method("recvfrom_nonblock", method!(recvfrom_nonblock, -1))?;
    class.define_method("ipv6only!", method!(ipv6only, 0))?;
    Ok(class)
}

/// Socket.new(domain, socktype [, protocol])
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(Value, Value), (Option<Value>,), (), (), (), ()>(args)?;
    let (domain, socktype) = args.required;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(args.optional.0, 0)?;
    let fd = io_bridge::new_socket(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2)"))?;
    io_bridge::init_sock(ruby, rb_self, fd)
}

/// Socket.pair(domain, type [, protocol]) -> [socket1, socket2], also with a
/// block that receives both and closes them when it ends.
pub fn pair(ruby: &Ruby, class: RClass, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(Value, Value), (Option<Value>,), (), (), (), ()>(args)?;
    let (domain, socktype) = args.required;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(args.optional.0, 0)?;
    pair_of(ruby, class, domain, socktype, protocol)
}

/// The body of Socket.pair and UNIXSocket.pair once arguments are coerced.
pub fn pair_of(
    ruby: &Ruby,
    class: RClass,
    domain: i32,
    socktype: i32,
    protocol: i32,
) -> Result<Value, Error> {
    let (a, b) = io_bridge::new_socketpair(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socketpair(2)"))?;
    let first = match io_bridge::wrap_fd(ruby, class, a) {
        Ok(s) => s,
        Err(e) => {
            io_bridge::close_fd(b);
            return Err(e);
        }
    };
    let second = io_bridge::wrap_fd(ruby, class, b)?;
    let pair = ruby.ary_new_from_values(&[first, second]);
    if !ruby.block_given() {
        return Ok(pair.as_value());
    }
    // As stock: close both when the block ends, however it ends (IO#close
    // of a closed IO is a no-op).
    let result = ruby.yield_value::<_, Value>(pair);
    let closed_first = first.funcall::<_, _, Value>("close", ());
    let closed_second = second.funcall::<_, _, Value>("close", ());
    let value = result?;
    closed_first?;
    closed_second?;
    Ok(value)
}

/// The packed sockaddr of an argument (String or Addrinfo), copied.
fn sockaddr_bytes(ruby: &Ruby, addr: Value) -> Result<Vec<u8>, Error> {
    let s = sockaddr_arg(ruby, addr)?;
    // SAFETY: copied out before any other Ruby call.
    Ok(unsafe { s.as_slice() }.to_vec())
}

/// Socket#bind(local_sockaddr) -> 0
fn bind(ruby: &Ruby, rb_self: Value, addr: Value) -> Result<i32, Error> {
    let addr = sockaddr_bytes(ruby, addr)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    // SAFETY: addr is a live byte slice of addr.len() bytes.
    let ret = unsafe { libc::bind(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t) };
    io_bridge::cvt(ret).map_err(|e| {
        errors::syserr_sockaddr(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            "bind(2)",
            &addr,
        )
    })
}

/// Socket#connect(remote_sockaddr) -> 0, waiting for a pending connect.
fn connect(ruby: &Ruby, rb_self: Value, addr: Value) -> Result<i32, Error> {
    let addr = sockaddr_bytes(ruby, addr)?;
    io_bridge::connect(ruby, rb_self, &addr, None)?.map_err(|e| {
        errors::syserr_sockaddr(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            "connect(2)",
            &addr,
        )
    })?;
    Ok(0)
}

/// Socket#connect_nonblock(remote_sockaddr, exception: true) -> 0
fn connect_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (addr, (), raise) = exception_kwarg::<(Value,), ()>(args)?;
    let addr = sockaddr_bytes(ruby, addr.0)?;
    let fd = io_bridge::set_nonblock(ruby, rb_self)?;
    // SAFETY: addr is a live byte slice of addr.len() bytes.
    let ret = unsafe { libc::connect(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t) };
    if ret == 0 {
        return Ok(0_i32.into_value_with(ruby));
    }
    let errno = io_bridge::last_error().raw_os_error().unwrap_or(libc::EIO);
    match errno {
        libc::EINPROGRESS if !raise => Ok(ruby.to_symbol("wait_writable").as_value()),
        libc::EINPROGRESS => Err(errors::would_block(
            ruby,
            WouldBlock::Write,
            errno,
            "connect(2) would block",
        )),
        libc::EISCONN if !raise => Ok(0_i32.into_value_with(ruby)),
        _ => Err(errors::syserr_sockaddr(ruby, errno, "connect(2)", &addr)),
    }
}

/// [Socket, Addrinfo] for an accepted fd; the fd is closed on error.
fn accepted_pair(ruby: &Ruby, fd: RawFd, addr: &[u8]) -> Result<Value, Error> {
    let class: RClass = ruby.class_object().const_get("Socket")?;
    let sock = io_bridge::wrap_fd(ruby, class, fd)?;
    let ai = socket_addrinfo(ruby, fd, addr)?;
    Ok(ruby.ary_new_from_values(&[sock, ai]).as_value())
}

/// Socket#accept -> [client_socket, client_addrinfo]
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    accepted_pair(ruby, fd, &addr)
}

/// Socket#accept_nonblock(exception: true) -> [client_socket, client_addrinfo]
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let ((), (), raise) = exception_kwarg::<(), ()>(args)?;
    let fd = io_bridge::set_nonblock(ruby, rb_self)?;
    match io_bridge::accept_once(fd) {
        Ok((new_fd, addr)) => accepted_pair(ruby, new_fd, &addr),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            match errno {
                libc::EAGAIN | libc::ECONNABORTED | libc::EPROTO => {
                    if !raise {
                        return Ok(ruby.to_symbol("wait_readable").as_value());
                    }
                    Err(errors::would_block(
                        ruby,
                        WouldBlock::Read,
                        errno,
                        "accept(2) would block",
                    ))
                }
                _ => Err(errors::syserr(ruby, errno, "accept(2)")),
            }
        }
    }
}

/// Socket#sysaccept -> [client_fd, client_addrinfo]
fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) =
        io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))?;
    match socket_addrinfo(ruby, fd, &addr) {
        Ok(ai) => Ok(ruby
            .ary_new_from_values(&[fd.into_value_with(ruby), ai])
            .as_value()),
        Err(e) => {
            io_bridge::close_fd(fd);
            Err(e)
        }
    }
}

/// recvfrom(2) into `buf`, the sender's address into `from`.
fn recvfrom_call(
    fd: RawFd,
    ptr: *mut u8,
    len: usize,
    flags: i32,
    from: &mut Vec<u8>,
) -> std::io::Result<usize> {
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let cap = std::mem::size_of::<libc::sockaddr_storage>();
    let mut alen = cap as libc::socklen_t;
    // SAFETY: ptr has room for len bytes; storage for alen bytes.
    let n = unsafe {
        libc::recvfrom(
            fd,
            ptr.cast(),
            len,
            flags | libc::MSG_DONTWAIT,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut alen,
        )
    };
    let n = io_bridge::cvt(n)? as usize;
    let alen = (alen as usize).min(cap);
    // SAFETY: storage holds at least alen bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            alen,
        )
    };
    *from = bytes.to_vec();
    Ok(n)
}

/// Socket#recvfrom(maxlen [, flags [, outbuf]]) -> [mesg, sender_addrinfo]
fn recvfrom(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(Value,), (Option<Value>, Option<Value>), (), (), (), ()>(args)?;
    let flags = opt_int(args.optional.0, 0)?;
    let buflen = num2int(args.required.0)?;
    let buf = recv_buffer(args.optional.1, buflen)?;
    io_bridge::fd(ruby, rb_self)?;
    if io_bridge::read_pending(rb_self) {
        return Err(Error::new(
            ruby.exception_io_error(),
            "recv for buffered IO",
        ));
    }
    let mut from = Vec::new();
    let outcome = recv_into(ruby, rb_self, buf, buflen as usize, |fd, ptr, len| {
        recvfrom_call(fd, ptr, len, flags, &mut from)
    })?;
    outcome.map_err(|e| errors::io_error(ruby, &e, "recvfrom(2)"))?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    let ai = socket_addrinfo(ruby, fd, &from)?;
    Ok(ruby.ary_new_from_values(&[buf.as_value(), ai]).as_value())
}

/// Socket#recvfrom_nonblock(maxlen, flags = 0, outbuf = nil, exception: true)
fn recvfrom_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let ((len,), (flags, outbuf), raise) =
        exception_kwarg::<(Value,), (Option<Value>, Option<Value>)>(args)?;
    let mut from = Vec::new();
    let got = recv_nonblock_into(
        ruby,
        rb_self,
        len,
        flags,
        outbuf,
        raise,
        |fd, ptr, len, flags| recvfrom_call(fd, ptr, len, flags, &mut from),
    )?;
    match got {
        Some(buf) => {
            let fd = io_bridge::fd(ruby, rb_self)?;
            let ai = socket_addrinfo(ruby, fd, &from)?;
            Ok(ruby.ary_new_from_values(&[buf.as_value(), ai]).as_value())
        }
        None => Ok(ruby.to_symbol("wait_readable").as_value()),
    }
}

/// Socket#ipv6only!: sets IPV6_V6ONLY, as stock's socket.rb does.
fn ipv6only(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    rb_self.funcall::<_, _, Value>(
        "setsockopt",
        (ruby.to_symbol("IPV6"), ruby.to_symbol("V6ONLY"), 1),
    )
}

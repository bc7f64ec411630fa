//! UNIXSocket < BasicSocket: stream sockets on filesystem paths and Linux
//! abstract names.

use crate::convert::{opt_int, socktype_arg, unix_path_arg};
use crate::core::sockaddr;
use crate::errors;
use crate::io_bridge;
use crate::ruby::basic_socket::{recv_buffer, recv_into};
use magnus::{
    method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    scan_args::scan_args,
    Error, RArray, RClass, RString, Ruby, Value,
};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("UNIXSocket", superclass)?;
    class.define_method("initialize", method!(initialize, 1))?;
    class.define_method("path", method!(path, 0))?;
    class.define_method("addr", method!(addr, 0))?;
    class.define_method("peeraddr", method!(peeraddr, 0))?;
    class.define_method("recvfrom", method!(recvfrom, -1))?;
    class.define_singleton_method("pair", method!(pair, -1))?;
    class.define_singleton_method("socketpair", method!(pair, -1))?;
    Ok(class)
}

fn initialize(ruby: &Ruby, rb_self: Value, path: Value) -> Result<Value, Error> {
    init_unixsock(ruby, rb_self, path, false)
}

/// UNIXSocket.new and UNIXServer.new: connect to, or bind and listen on,
/// `path`. Stock names connect(2) in the message of either failure.
pub fn init_unixsock(ruby: &Ruby, obj: Value, path: Value, server: bool) -> Result<Value, Error> {
    let path = unix_path_arg(path)?;
    // SAFETY: the bytes are copied into the packed address at once.
    let packed = sockaddr::sockaddr_un(unsafe { path.as_slice() }).map_err(|e| {
        let sockaddr::UnixPathError::TooLong { given, max } = e;
        Error::new(
            ruby.exception_arg_error(),
            format!("too long unix socket path ({given}bytes given but {max}bytes max)"),
        )
    })?;
    let fd = io_bridge::new_socket(libc::AF_UNIX, libc::SOCK_STREAM, 0)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2)"))?;
    let fail = |errno: i32| {
        io_bridge::close_fd(fd);
        errors::syserr_path(ruby, errno, "connect(2)", Some(path))
    };
    if server {
        // SAFETY: packed is a live sockaddr_un of packed.len() bytes.
        let ret =
            unsafe { libc::bind(fd, packed.as_ptr().cast(), packed.len() as libc::socklen_t) };
        if ret < 0 {
            return Err(fail(io_bridge::last_errno()));
        }
        // SAFETY: listen takes plain integers.
        if unsafe { libc::listen(fd, libc::SOMAXCONN) } < 0 {
            let errno = io_bridge::last_errno();
            io_bridge::close_fd(fd);
            return Err(errors::syserr(ruby, errno, "listen(2)"));
        }
        io_bridge::init_sock(ruby, obj, fd)?;
        io_bridge::set_pathv(ruby, obj, path)?;
        return Ok(obj);
    }
    io_bridge::init_sock(ruby, obj, fd)?;
    match io_bridge::connect(ruby, obj, &packed, None) {
        Ok(Ok(())) => Ok(obj),
        Ok(Err(e)) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            let _ = obj.funcall::<_, _, Value>("close", ());
            Err(errors::syserr_path(ruby, errno, "connect(2)", Some(path)))
        }
        Err(e) => {
            let _ = obj.funcall::<_, _, Value>("close", ());
            Err(e)
        }
    }
}

/// getsockname(2) or getpeername(2) of a UNIX socket, as packed bytes.
fn unix_name(ruby: &Ruby, io: Value, peer: bool) -> Result<Vec<u8>, Error> {
    let fd = io_bridge::fd(ruby, io)?;
    let (what, result) = if peer {
        ("getpeername(2)", io_bridge::peer_name(fd))
    } else {
        ("getsockname(2)", io_bridge::sock_name(fd))
    };
    result.map_err(|e| {
        errors::syserr_path(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            what,
            io_bridge::pathv(io),
        )
    })
}

/// ["AF_UNIX", path], as stock's rsock_unixaddr.
fn unixaddr(ruby: &Ruby, sockaddr: &[u8]) -> RArray {
    let path = ruby.str_from_slice(unix_path_of(sockaddr));
    ruby.ary_new_from_values(&[ruby.str_new("AF_UNIX").as_value(), path.as_value()])
}

/// UNIXSocket#path: the local path, read once and kept as the IO's path.
fn path(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    io_bridge::fd(ruby, rb_self)?;
    let path = match io_bridge::pathv(rb_self) {
        Some(p) => p,
        None => {
            let name = unix_name(ruby, rb_self, false)?;
            let p = ruby.str_from_slice(unix_path_of(&name));
            io_bridge::set_pathv(ruby, rb_self, p)?;
            p
        }
    };
    // SAFETY: rb_str_dup only allocates.
    let copy = unsafe { Value::from_raw(rb_sys::rb_str_dup(path.as_raw())) };
    Ok(RString::from_value(copy).expect("a String"))
}

fn addr(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    Ok(unixaddr(ruby, &unix_name(ruby, rb_self, false)?))
}

fn peeraddr(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    Ok(unixaddr(ruby, &unix_name(ruby, rb_self, true)?))
}

/// UNIXSocket#recvfrom(maxlen [, flags [, outbuf]]) -> [mesg, ["AF_UNIX", path]]
fn recvfrom(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<RArray, Error> {
    let args = scan_args::<(Value,), (Option<Value>, Option<Value>), (), (), (), ()>(args)?;
    let flags = opt_int(args.optional.0, 0)?;
    let buflen = crate::convert::num2int(args.required.0)?;
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
        let (n, addr) = io_bridge::recv_from(fd, ptr, len, flags)?;
        from = addr;
        Ok(n)
    })?;
    outcome.map_err(|e| errors::io_error(ruby, &e, "recvfrom(2)"))?;
    Ok(ruby.ary_new_from_values(&[buf.as_value(), unixaddr(ruby, &from).as_value()]))
}

/// UNIXSocket.pair([type [, protocol]]) -> [unixsocket1, unixsocket2]
fn pair(ruby: &Ruby, class: RClass, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(), (Option<Value>, Option<Value>), (), (), (), ()>(args)?;
    let socktype = match args.optional.0 {
        Some(t) => socktype_arg(ruby, t)?,
        None => libc::SOCK_STREAM,
    };
    let protocol = opt_int(args.optional.1, 0)?;
    crate::ruby::socket::pair_of(ruby, class, libc::AF_UNIX, socktype, protocol)
}

/// The path of a packed sockaddr_un, "" when too short to hold one.
fn unix_path_of(sa: &[u8]) -> &[u8] {
    sockaddr::unix_path(sa).unwrap_or(&[])
}

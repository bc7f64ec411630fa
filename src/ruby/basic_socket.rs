//! BasicSocket: the IO subclass every socket class derives from.

use crate::buffer;
use crate::convert::positional;
use crate::convert::{
    check_arity, level_arg, num2int, optname_arg, shutdown_how_arg, sockaddr_arg, string_value,
};
use crate::core::resolve::SmallBytes;
use crate::core::sockaddr_message;
use crate::core::sys;
use crate::core::sys::SockAddrBuf;
use crate::errors;
use crate::errors::WouldBlock;
use crate::ffi::protect;
use crate::io_bridge::{self, Buffer, Retry};
use crate::ruby::option;
use crate::ruby::shared::{nonblock_args, receive, receive_nonblock, recv_buffer, socket_addrinfo};
use magnus::IntoValue;
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, RClass, RString, Ruby, Value,
};
use std::os::fd::FromRawFd;

pub fn init(ruby: &Ruby) -> Result<RClass, Error> {
    let class = ruby.define_class("BasicSocket", ruby.class_io())?;
    // Only subclasses are instantiated, through their own initialize.
    // SAFETY: undefining a method on a class we just defined cannot raise.
    unsafe { rb_sys::rb_undef_method(class.as_raw(), c"initialize".as_ptr()) };
    class.define_singleton_method("for_fd", method!(for_fd, 1))?;
    class.define_singleton_method("do_not_reverse_lookup", function!(default_no_revlookup, 0))?;
    class.define_singleton_method(
        "do_not_reverse_lookup=",
        function!(set_default_no_revlookup, 1),
    )?;
    class.define_method("do_not_reverse_lookup", method!(no_revlookup, 0))?;
    class.define_method("do_not_reverse_lookup=", method!(set_no_revlookup, 1))?;
    class.define_method("send", method!(send, -1))?;
    class.define_method("recv", method!(recv, -1))?;
    class.define_method("close_read", method!(close_read, 0))?;
    class.define_method("close_write", method!(close_write, 0))?;
    class.define_private_method("__recv_nonblock", method!(recv_nonblock, -1))?;
    class.define_private_method("__read_nonblock", method!(read_nonblock, -1))?;
    class.define_private_method("__write_nonblock", method!(write_nonblock, -1))?;
    class.define_method("shutdown", method!(shutdown, -1))?;
    class.define_method("getsockname", method!(getsockname, 0))?;
    class.define_method("getpeername", method!(getpeername, 0))?;
    class.define_method("local_address", method!(local_address, 0))?;
    class.define_method("remote_address", method!(remote_address, 0))?;
    class.define_method("connect_address", method!(connect_address, 0))?;
    class.define_method("getpeereid", method!(getpeereid, 0))?;
    class.define_method("getsockopt", method!(getsockopt, 2))?;
    class.define_method("setsockopt", method!(setsockopt, -1))?;
    Ok(class)
}

/// BasicSocket.for_fd(fd): wraps an existing socket descriptor.
fn for_fd(ruby: &Ruby, class: RClass, fd: Value) -> Result<Value, Error> {
    let fd = num2int(fd)?;
    let socket = sys::is_socket(fd).map_err(|e| errors::io_error(ruby, &e, "fstat(2)"))?;
    if !socket {
        return Err(errors::syserr(
            ruby,
            libc::EBADF,
            "not a socket file descriptor",
        ));
    }
    // SAFETY: for_fd hands the descriptor to the new IO, as stock's does:
    // the caller gives it up (it is closed with the IO, or here on error).
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    io_bridge::wrap_fd(ruby, class, fd)
}

/// BasicSocket#send(mesg, flags [, dest_sockaddr]) -> numbytes_sent
pub fn send(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<usize, Error> {
    check_arity(ruby, args.len(), 2, 3)?;
    let (mesg, flags) = (args[0], args[1]);
    let mesg = string_value(mesg)?;
    let dest = match args.get(2) {
        // SAFETY: the bytes are copied (inline when short) before any other
        // Ruby call.
        Some(&to) if !to.is_nil() => Some(SmallBytes::new(unsafe {
            sockaddr_arg(ruby, to)?.as_slice()
        })),
        _ => None,
    };
    // As stock: the stream is checked before the flags are converted.
    io_bridge::fd(ruby, rb_self)?;
    let flags = num2int(flags)? | libc::MSG_DONTWAIT;
    let what = if dest.is_some() {
        "sendto(2)"
    } else {
        "send(2)"
    };
    let outcome = io_bridge::run(
        ruby,
        rb_self,
        Retry::SEND,
        Buffer::Send(mesg),
        |fd, bytes| match &dest {
            Some(to) => sys::sendto(fd, bytes.message(), flags, to),
            None => sys::send(fd, bytes.message(), flags),
        },
    )?;
    outcome.map_err(|e| errors::io_error(ruby, &e, what))
}

/// BasicSocket#recv(maxlen [, flags [, outbuf]]) -> mesg, or nil at the end
/// of a stream (3.3+)
fn recv(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Option<RString>, Error> {
    Ok(receive(ruby, rb_self, args, false)?.map(|(buf, _)| buf))
}

fn io_close(io: Value) -> Result<Value, Error> {
    // SAFETY: rb_io_close may raise; protect catches it.
    let raw = protect(|| unsafe { rb_sys::rb_io_close(io.as_raw()) })?;
    // SAFETY: rb_io_close returns a valid VALUE (nil).
    Ok(unsafe { Value::from_raw(raw) })
}

/// BasicSocket#close_read: shutdown(SHUT_RD), closing the IO when it is no
/// longer writable either.
fn close_read(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    // A failure is ignored, as stock ignores it.
    let _ = io_bridge::with_fd(ruby, rb_self, |fd| sys::shutdown(fd, libc::SHUT_RD))?;
    if io_bridge::mode(ruby, rb_self)? & rb_sys::FMODE_WRITABLE as i32 == 0 {
        return io_close(rb_self);
    }
    io_bridge::update_mode(ruby, rb_self, rb_sys::FMODE_READABLE as i32, 0)?;
    Ok(ruby.qnil().as_value())
}

/// BasicSocket#close_write: shutdown(SHUT_WR), closing the IO when it is no
/// longer readable either.
fn close_write(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    if io_bridge::mode(ruby, rb_self)? & rb_sys::FMODE_READABLE as i32 == 0 {
        return io_close(rb_self);
    }
    // A failure is ignored, as stock ignores it.
    let _ = io_bridge::with_fd(ruby, rb_self, |fd| sys::shutdown(fd, libc::SHUT_WR))?;
    io_bridge::update_mode(ruby, rb_self, rb_sys::FMODE_WRITABLE as i32, 0)?;
    Ok(ruby.qnil().as_value())
}

/// BasicSocket.do_not_reverse_lookup: the default for new sockets.
fn default_no_revlookup() -> bool {
    io_bridge::default_do_not_reverse_lookup()
}

/// BasicSocket.do_not_reverse_lookup = bool; returns its argument.
fn set_default_no_revlookup(value: Value) -> Value {
    io_bridge::set_default_do_not_reverse_lookup(value.to_bool());
    value
}

/// BasicSocket#do_not_reverse_lookup of this socket.
fn no_revlookup(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    Ok(io_bridge::mode(ruby, rb_self)? & io_bridge::FMODE_NOREVLOOKUP != 0)
}

/// BasicSocket#do_not_reverse_lookup = bool; returns the socket, as stock's
/// bsock_do_not_reverse_lookup_set does (seen through `__send__`).
fn set_no_revlookup(ruby: &Ruby, rb_self: Value, value: Value) -> Result<Value, Error> {
    let flag = io_bridge::FMODE_NOREVLOOKUP;
    let (clear, set) = if value.to_bool() {
        (0, flag)
    } else {
        (flag, 0)
    };
    io_bridge::update_mode(ruby, rb_self, clear, set)?;
    Ok(rb_self)
}

/// BasicSocket#recv_nonblock(maxlen, flags = 0, outbuf = nil, exception: true)
fn recv_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let got = receive_nonblock(ruby, rb_self, args, None)?;
    got.into_value(ruby, |buf| Ok(buf.as_value()))
}

/// BasicSocket#read_nonblock(maxlen, outbuf = nil, exception: true): IO's,
/// done with recv(MSG_DONTWAIT) as stock does on Linux.
fn read_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, raise) = nonblock_args(ruby, args, 2)?;
    let (len, outbuf) = (args[0], args.get(1).copied());
    let len = crate::convert::num2long(len)?;
    let caller_buf = outbuf.filter(|v| !v.is_nil());
    let buf = recv_buffer(ruby, outbuf, len)?;
    io_bridge::fd(ruby, rb_self)?;
    if len == 0 {
        // SAFETY: truncating a string we may modify (checked by recv_buffer).
        return Ok(unsafe { buffer::set_len(buf, 0) }.as_value());
    }
    let len = len as usize;
    // recv_buffer made room for len bytes; the GVL is held.
    let ptr = buffer::room_of(buf);
    let mut n = io_bridge::take_buffered(rb_self, ptr, len);
    if n == 0 {
        let received = io_bridge::with_fd(ruby, rb_self, |fd| {
            // SAFETY: ptr has room for len bytes.
            unsafe { sys::recv(fd, ptr, len, libc::MSG_DONTWAIT) }
        })?;
        match received {
            Ok(got) => n = got,
            Err(e) => {
                // As stock, a caller's buffer keeps its contents.
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                if errno == libc::EAGAIN {
                    return errors::nonblock_would_block(
                        ruby,
                        WouldBlock::Read,
                        errno,
                        raise,
                        "read would block",
                    );
                }
                return Err(errors::syserr_plain(errno));
            }
        }
    }
    // SAFETY: n <= len bytes were written into the buffer.
    unsafe { buffer::set_len(buf, n) };
    if caller_buf.is_none() {
        // SAFETY: shrinking a fresh string we own does not raise.
        unsafe { rb_sys::rb_str_resize(buf.as_raw(), n as _) };
    }
    if n == 0 {
        if !raise {
            return Ok(ruby.qnil().as_value());
        }
        return Err(errors::eof_error(ruby, "end of file reached"));
    }
    Ok(buf.as_value())
}

/// BasicSocket#write_nonblock(string, exception: true): IO's, done with
/// send(MSG_DONTWAIT) as stock does on Linux.
fn write_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, raise) = nonblock_args(ruby, args, 1)?;
    let data = args[0];
    let data = match RString::from_value(data) {
        Some(s) => s,
        None => {
            // SAFETY: rb_obj_as_string calls to_s, which may raise; protect
            // catches it.
            let raw = protect(|| unsafe { rb_sys::rb_obj_as_string(data.as_raw()) })?;
            // SAFETY: rb_obj_as_string returns a String.
            RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String")
        }
    };
    io_bridge::prepare_write(ruby, rb_self)?;
    let ret = io_bridge::run(
        ruby,
        rb_self,
        Retry::SEND_ONCE,
        Buffer::Send(data),
        |fd, bytes| sys::send(fd, bytes.message(), libc::MSG_DONTWAIT),
    )?;
    match ret {
        Ok(n) => Ok((n as i64).into_value_with(ruby)),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EAGAIN {
                return errors::nonblock_would_block(
                    ruby,
                    WouldBlock::Write,
                    errno,
                    raise,
                    "write would block",
                );
            }
            Err(errors::syserr_plain(errno))
        }
    }
}

/// BasicSocket#shutdown([how]) -> 0; `how` defaults to SHUT_RDWR.
fn shutdown(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<i32, Error> {
    let ([], [how]) = positional::<0, 1>(ruby, args)?;
    let how = match how {
        Some(v) if !v.is_nil() => {
            let how = shutdown_how_arg(ruby, v)?;
            if ![libc::SHUT_RD, libc::SHUT_WR, libc::SHUT_RDWR].contains(&how) {
                return Err(errors::argument_error(
                    ruby,
                    "`how' should be either :SHUT_RD, :SHUT_WR, :SHUT_RDWR",
                ));
            }
            how
        }
        _ => libc::SHUT_RDWR,
    };
    io_bridge::with_fd(ruby, rb_self, |fd| sys::shutdown(fd, how))?
        .map(|()| 0)
        .map_err(|e| errors::io_error(ruby, &e, "shutdown(2)"))
}

fn local_sockaddr(ruby: &Ruby, io: Value) -> Result<SockAddrBuf, Error> {
    io_bridge::with_fd(ruby, io, sys::local_addr)?
        .map_err(|e| errors::io_error(ruby, &e, "getsockname(2)"))
}

fn remote_sockaddr(ruby: &Ruby, io: Value) -> Result<SockAddrBuf, Error> {
    io_bridge::with_fd(ruby, io, sys::peer_addr)?
        .map_err(|e| errors::io_error(ruby, &e, "getpeername(2)"))
}

/// BasicSocket#getsockname -> packed sockaddr String
fn getsockname(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let addr = local_sockaddr(ruby, rb_self)?;
    Ok(ruby.str_from_slice(&addr))
}

/// BasicSocket#getpeername -> packed sockaddr String
fn getpeername(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let addr = remote_sockaddr(ruby, rb_self)?;
    Ok(ruby.str_from_slice(&addr))
}

/// BasicSocket#local_address -> Addrinfo
fn local_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let addr = local_sockaddr(ruby, rb_self)?;
    socket_addrinfo(ruby, rb_self, &addr)
}

/// BasicSocket#remote_address -> Addrinfo
fn remote_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let addr = remote_sockaddr(ruby, rb_self)?;
    socket_addrinfo(ruby, rb_self, &addr)
}

/// BasicSocket#connect_address: local_address with an unspecified address
/// replaced by loopback; SocketError when the socket is unbound.
fn connect_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let addr = local_sockaddr(ruby, rb_self)?;
    let addr =
        sockaddr_message::connect_address(&addr).map_err(|msg| errors::socket_error(ruby, msg))?;
    socket_addrinfo(ruby, rb_self, &addr)
}

/// BasicSocket#getpeereid -> [euid, egid], from SO_PEERCRED on Linux.
fn getpeereid(ruby: &Ruby, rb_self: Value) -> Result<(u32, u32), Error> {
    io_bridge::with_fd(ruby, rb_self, sys::peer_credentials)?
        .map_err(|e| errors::io_error(ruby, &e, "getsockopt(SO_PEERCRED)"))
}

/// BasicSocket#getsockopt(level, optname) -> Socket::Option
fn getsockopt(ruby: &Ruby, rb_self: Value, level: Value, optname: Value) -> Result<Value, Error> {
    let family = io_bridge::family(ruby, rb_self)?;
    let level = level_arg(ruby, family, level)?;
    let optname = optname_arg(ruby, family, level, optname)?;
    let mut buf = [0u8; 256];
    let len = io_bridge::with_fd(ruby, rb_self, |fd| {
        sys::getsockopt(fd, level, optname, &mut buf)
    })?
    .map_err(|e| errors::io_error(ruby, &e, "getsockopt(2)"))?;
    let len = len.min(buf.len());
    option::new_option(
        ruby,
        family,
        level,
        optname,
        ruby.str_from_slice(&buf[..len]),
    )
}

/// BasicSocket#setsockopt(level, optname, optval) or setsockopt(option) -> 0
fn setsockopt(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<i32, Error> {
    let (level, optname, value) = if args.len() == 1 {
        let opt = args[0];
        (
            opt.funcall::<_, _, Value>("level", ())?,
            opt.funcall::<_, _, Value>("optname", ())?,
            opt.funcall::<_, _, Value>("data", ())?,
        )
    } else {
        // Stock's message for a wrong count says 3, as for this form.
        check_arity(ruby, args.len(), 3, 3)?;
        (args[0], args[1], args[2])
    };
    let family = io_bridge::family(ruby, rb_self)?;
    let level = level_arg(ruby, family, level)?;
    let optname = optname_arg(ruby, family, level, optname)?;
    let data: Vec<u8> = if let Some(fixnum) = magnus::Fixnum::from_value(value) {
        // FIX2INT: a Fixnum beyond int raises RangeError.
        (num2int(fixnum.as_value())?).to_ne_bytes().to_vec()
    } else if value.as_raw() == rb_sys::Qfalse as rb_sys::VALUE {
        0i32.to_ne_bytes().to_vec()
    } else if value.as_raw() == rb_sys::Qtrue as rb_sys::VALUE {
        1i32.to_ne_bytes().to_vec()
    } else {
        let s = string_value(value)?;
        // SAFETY: copied out before any other Ruby call.
        unsafe { s.as_slice() }.to_vec()
    };
    io_bridge::with_fd(ruby, rb_self, |fd| {
        sys::setsockopt(fd, level, optname, &data)
    })?
    .map(|()| 0)
    .map_err(|e| errors::io_error(ruby, &e, "setsockopt(2)"))
}

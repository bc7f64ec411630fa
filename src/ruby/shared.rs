//! The socket bodies several classes share, as stock's init.c holds them:
//! receiving (rsock_s_recvfrom and its nonblock twin, rsock_strbuf),
//! accepting (rsock_s_accept, rsock_s_accept_nonblock), listen, the
//! `exception:` argument of the *_nonblock methods. The class files call
//! in; this file calls none of them.

use crate::buffer;
use crate::convert::{check_arity, num2int, string_value};
use crate::core::sys::{self, SockAddrBuf};
use crate::errors::{self, WouldBlock};
use crate::io_bridge::{self, Buffer, Retry};
use crate::ruby::addrinfo;
use magnus::{prelude::*, Error, RString, Ruby, Value};
use std::os::fd::{BorrowedFd, OwnedFd};

/// rsock_strbuf: the buffer a receive writes into, `buflen` bytes of room.
/// In stock's order of checks: an outbuf must be a String (TypeError) and
/// modifiable (FrozenError) before the length is looked at; then the one
/// receive-length rule (a negative length is ArgumentError, where stock
/// with an outbuf goes on and writes past it).
pub fn recv_buffer(ruby: &Ruby, outbuf: Option<Value>, buflen: i64) -> Result<RString, Error> {
    match outbuf.filter(|v| !v.is_nil()) {
        None => Ok(buffer::with_room(crate::convert::receive_length(
            ruby, buflen,
        )?)),
        Some(v) => {
            let s = string_value(v)?;
            buffer::make_room(s, buflen)?;
            crate::convert::receive_length(ruby, buflen)?;
            Ok(s)
        }
    }
}

/// Ruby 3.3+ (rsock_is_dgram): a receive of 0 bytes on a socket that is
/// not SOCK_DGRAM is the end of the stream, and the receive returns nil.
/// A caller's outbuf is left as it was then, as stock leaves it.
pub fn end_of_stream(ruby: &Ruby, io: Value, received: usize) -> Result<bool, Error> {
    if received != 0 || !crate::compat::nil_at_end_of_stream() {
        return Ok(false);
    }
    Ok(socket_type(ruby, io)? != libc::SOCK_DGRAM)
}

/// SO_TYPE of a socket IO, or the Errno stock raises when it cannot be read.
pub fn socket_type(ruby: &Ruby, io: Value) -> Result<i32, Error> {
    checked_socket_type(ruby, io_bridge::with_fd(ruby, io, sys::socket_type)?)
}

/// What SO_TYPE gave, or the Errno stock raises when it could not be read.
fn checked_socket_type(ruby: &Ruby, got: std::io::Result<i32>) -> Result<i32, Error> {
    got.map_err(|e| errors::io_error(ruby, &e, "getsockopt(SO_TYPE)"))
}

/// The body of recv and of every recvfrom (stock's rsock_s_recvfrom) for
/// (maxlen [, flags [, outbuf]]): waits for a message; returns it and, when
/// `sender` is asked for, the sender's packed address (empty when the kernel
/// gave none, as on connected streams). None at the end of a stream on
/// Ruby 3.3+ (the receive returns nil).
pub fn receive(
    ruby: &Ruby,
    rb_self: Value,
    args: &[Value],
    sender: bool,
) -> Result<Option<(RString, SockAddrBuf)>, Error> {
    check_arity(ruby, args.len(), 1, 3)?;
    let flags = crate::convert::opt_int(args.get(1).copied(), 0)?;
    let buflen = num2int(args[0])?;
    let outbuf = args.get(2).copied();
    let buf = if goes_to_stack(outbuf, buflen) {
        None
    } else {
        Some(recv_buffer(ruby, outbuf, i64::from(buflen))?)
    };
    io_bridge::fd(ruby, rb_self)?;
    if io_bridge::read_pending(rb_self) {
        return Err(errors::buffered_io(ruby, "recv"));
    }
    let mut from = SockAddrBuf::new();
    let mut call = |fd: BorrowedFd<'_>, ptr: *mut u8, len: usize| {
        if sender {
            // SAFETY: ptr has room for len bytes (a locked String or the stack).
            let (n, addr) = unsafe { sys::recvfrom(fd, ptr, len, flags | libc::MSG_DONTWAIT) }?;
            from = addr;
            return Ok(n);
        }
        // SAFETY: ptr has room for len bytes (a locked String or the stack).
        unsafe { sys::recv(fd, ptr, len, flags | libc::MSG_DONTWAIT) }
    };
    let failed = |e: std::io::Error| errors::io_error(ruby, &e, "recvfrom(2)");
    let buf = match buf {
        Some(buf) => {
            let held = Buffer::Receive(buf, buflen as usize);
            let n = io_bridge::run(ruby, rb_self, Retry::RECEIVE, held, |fd, room| {
                let (ptr, len) = room.room();
                call(fd, ptr, len)
            })?
            .map_err(failed)?;
            if end_of_stream(ruby, rb_self, n)? {
                return Ok(None);
            }
            // SAFETY: the receive wrote n bytes into the buffer's room.
            unsafe { buffer::set_len(buf, n) }
        }
        None => {
            let buf = recv_small(ruby, buflen as usize, |ptr, len| {
                io_bridge::run(ruby, rb_self, Retry::SHORT_RECEIVE, Buffer::Own, |fd, _| {
                    call(fd, ptr, len)
                })?
                .map_err(failed)
            })?;
            if end_of_stream(ruby, rb_self, buf.len())? {
                return Ok(None);
            }
            buf
        }
    };
    Ok(Some((buf, from)))
}

/// listen(2) for Socket#listen, TCPServer#listen and UNIXServer#listen
/// (stock's rsock_sock_listen): returns 0.
pub fn listen(ruby: &Ruby, rb_self: Value, backlog: Value) -> Result<i32, Error> {
    let backlog = num2int(backlog)?;
    io_bridge::with_fd(ruby, rb_self, |fd| sys::listen(fd, backlog))?
        .map_err(|e| errors::io_error(ruby, &e, "listen(2)"))?;
    Ok(0)
}

/// The arguments of a native `__*_nonblock` method: `n` positional ones
/// followed by the value of the `exception:` keyword. As in stock, the public
/// `*_nonblock` methods are Ruby wrappers (lib/socket_rs/nonblock.rb) that
/// fill in defaults and take the keyword, so calls allocate no keyword Hash.
/// Returns the positional arguments, and whether to raise (unless
/// `exception` is exactly false, as stock).
pub fn nonblock_args<'a>(
    ruby: &Ruby,
    args: &'a [Value],
    n: usize,
) -> Result<(&'a [Value], bool), Error> {
    crate::convert::check_arity(ruby, args.len(), n + 1, n + 1)?;
    let raise = crate::convert::raises(args[n]);
    Ok((&args[..n], raise))
}

/// The largest receive `recv_small` takes.
const SMALL_RECV: usize = 4096;

/// Whether a receive goes through `recv_small`: no outbuf and a short
/// maxlen. A try that would block (the common case in event loops) then
/// allocates nothing, where stock allocates the String before trying. A
/// negative maxlen takes the String path for stock's ArgumentError.
fn goes_to_stack(outbuf: Option<Value>, buflen: i32) -> bool {
    outbuf.is_none_or(|v| v.is_nil()) && (0..=SMALL_RECV as i32).contains(&buflen)
}

/// A receive of at most `len` (<= SMALL_RECV) bytes into a stack buffer,
/// copied to a new String when it succeeds. Stack memory stays put while
/// the GVL is released, so no String has to be locked. Smaller buffers for
/// smaller receives: zeroing the stack buffer is the cost here.
fn recv_small<E>(
    ruby: &Ruby,
    len: usize,
    call: impl FnOnce(*mut u8, usize) -> Result<usize, E>,
) -> Result<RString, E> {
    fn on_stack<const N: usize, E>(
        ruby: &Ruby,
        len: usize,
        call: impl FnOnce(*mut u8, usize) -> Result<usize, E>,
    ) -> Result<RString, E> {
        let mut buf = [0u8; N];
        let n = call(buf.as_mut_ptr(), len)?.min(len);
        Ok(ruby.str_from_slice(&buf[..n]))
    }
    if len <= 64 {
        on_stack::<64, E>(ruby, len, call)
    } else if len <= 512 {
        on_stack::<512, E>(ruby, len, call)
    } else {
        on_stack::<SMALL_RECV, E>(ruby, len, call)
    }
}

/// What one receive without waiting gave.
pub enum Nonblock<T> {
    Data(T),
    /// It would block, and `exception: false` asked for :wait_readable.
    WouldBlock,
    /// The end of a stream (Ruby 3.3+): the receive returns nil.
    EndOfStream,
}

impl<T> Nonblock<T> {
    /// The Ruby value of a result that is a message alone.
    pub fn into_value(
        self,
        ruby: &Ruby,
        data: impl FnOnce(T) -> Result<Value, Error>,
    ) -> Result<Value, Error> {
        match self {
            Nonblock::Data(v) => data(v),
            Nonblock::WouldBlock => Ok(crate::errors::wait_readable(ruby)),
            Nonblock::EndOfStream => Ok(ruby.qnil().as_value()),
        }
    }
}

/// The body of every __recv_nonblock and __recvfrom_nonblock (stock's
/// rsock_s_recvfrom_nonblock) for (maxlen, flags, outbuf, exception): one
/// try with MSG_DONTWAIT; the message, and the sender's packed address in
/// `sender` when one is asked for (left empty when the kernel gave none).
/// An out-parameter rather than a result: recv_nonblock, the hot one, then
/// neither builds nor moves an address.
pub fn receive_nonblock(
    ruby: &Ruby,
    rb_self: Value,
    args: &[Value],
    sender: Option<&mut SockAddrBuf>,
) -> Result<Nonblock<RString>, Error> {
    let (args, raise) = nonblock_args(ruby, args, 3)?;
    // One receive_once per system call, each with its call inlined.
    match sender {
        Some(from) => receive_once(ruby, rb_self, args, raise, |fd, ptr, len, flags| {
            // SAFETY: ptr has room for len bytes.
            let (n, addr) = unsafe { sys::recvfrom(fd, ptr, len, flags) }?;
            *from = addr;
            Ok(n)
        }),
        // SAFETY: ptr has room for len bytes.
        None => receive_once(ruby, rb_self, args, raise, |fd, ptr, len, flags| unsafe {
            sys::recv(fd, ptr, len, flags)
        }),
    }
}

/// One receive try with MSG_DONTWAIT into the buffer stock would make,
/// for (maxlen [, flags [, outbuf]]).
fn receive_once(
    ruby: &Ruby,
    io: Value,
    args: &[Value],
    raise: bool,
    mut call: impl FnMut(BorrowedFd<'_>, *mut u8, usize, i32) -> std::io::Result<usize>,
) -> Result<Nonblock<RString>, Error> {
    let (len, flags, outbuf) = (args[0], args.get(1).copied(), args.get(2).copied());
    let flags = match flags {
        Some(v) => num2int(v)?,
        None => 0,
    };
    io_bridge::fd(ruby, io)?;
    if io_bridge::read_pending(io) {
        return Err(errors::buffered_io(ruby, "recvfrom"));
    }
    let buflen = num2int(len)?;
    let flags = flags | libc::MSG_DONTWAIT;
    let got = if goes_to_stack(outbuf, buflen) {
        io_bridge::with_fd(ruby, io, |fd| {
            recv_small(ruby, buflen as usize, |ptr, len| call(fd, ptr, len, flags))
        })?
    } else {
        let buf = recv_buffer(ruby, outbuf, i64::from(buflen))?;
        // recv_buffer made room for buflen bytes; the GVL is held and no
        // Ruby code runs before the length is set.
        let ptr = buffer::room_of(buf);
        match io_bridge::with_fd(ruby, io, |fd| call(fd, ptr, buflen as usize, flags))? {
            Ok(n) if end_of_stream(ruby, io, n)? => return Ok(Nonblock::EndOfStream),
            // SAFETY: the receive wrote n bytes into the buffer's room.
            Ok(n) => Ok(unsafe { buffer::set_len(buf, n) }),
            Err(e) => Err(e),
        }
    };
    match got {
        Ok(buf) if end_of_stream(ruby, io, buf.len())? => Ok(Nonblock::EndOfStream),
        Ok(buf) => Ok(Nonblock::Data(buf)),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EAGAIN {
                if !raise {
                    return Ok(Nonblock::WouldBlock);
                }
                return Err(errors::would_block(
                    ruby,
                    WouldBlock::Read,
                    errno,
                    "recvfrom(2) would block",
                ));
            }
            Err(errors::syserr(ruby, errno, "recvfrom(2)"))
        }
    }
}

/// stock's rsock_io_socket_addrinfo: an Addrinfo for an address of the
/// socket IO `io`, its family taken from the address, its socktype from
/// SO_TYPE.
pub fn socket_addrinfo(ruby: &Ruby, io: Value, addr: &[u8]) -> Result<Value, Error> {
    addrinfo_of_type(ruby, socket_type(ruby, io)?, addr)
}

/// stock's rsock_fd_socket_addrinfo: as `socket_addrinfo`, for a socket
/// no IO owns yet.
pub fn fd_addrinfo(ruby: &Ruby, fd: BorrowedFd<'_>, addr: &[u8]) -> Result<Value, Error> {
    addrinfo_of_type(ruby, checked_socket_type(ruby, sys::socket_type(fd))?, addr)
}

fn addrinfo_of_type(ruby: &Ruby, socktype: i32, addr: &[u8]) -> Result<Value, Error> {
    let family = crate::core::sockaddr::family(addr);
    addrinfo::from_sockaddr(ruby, addr, family, socktype, 0)
}

/// accept(2) for Socket#accept, TCPServer#accept, UNIXServer#accept and the
/// sysaccept methods: waits for a connection; the new fd and peer address.
pub fn accept_fd(ruby: &Ruby, rb_self: Value) -> Result<(OwnedFd, SockAddrBuf), Error> {
    io_bridge::accept(ruby, rb_self, Retry::ACCEPT)?
        .map_err(|e| errors::io_error(ruby, &e, "accept(2)"))
}

/// The __accept_nonblock(exception) of Socket, TCPServer and UNIXServer
/// (stock's rsock_s_accept_nonblock): the fd is made non-blocking for good;
/// EAGAIN, ECONNABORTED and EPROTO are IO::WaitReadable ("accept(2) would
/// block") or :wait_readable; `wrap` turns the new fd and peer address into
/// the method's result.
pub fn accept_nonblock_with(
    ruby: &Ruby,
    rb_self: Value,
    args: &[Value],
    wrap: impl FnOnce(OwnedFd, &[u8]) -> Result<Value, Error>,
) -> Result<Value, Error> {
    let (_, raise) = nonblock_args(ruby, args, 0)?;
    io_bridge::set_nonblock(ruby, rb_self)?;
    match io_bridge::accept(ruby, rb_self, Retry::ACCEPT_ONCE)? {
        Ok((new_fd, addr)) => wrap(new_fd, &addr),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            if !matches!(errno, libc::EAGAIN | libc::ECONNABORTED | libc::EPROTO) {
                return Err(errors::syserr(ruby, errno, "accept(2)"));
            }
            errors::nonblock_would_block(
                ruby,
                WouldBlock::Read,
                errno,
                raise,
                "accept(2) would block",
            )
        }
    }
}

//! BasicSocket: the IO subclass every socket class derives from.

use crate::convert::positional;
use crate::convert::{
    check_arity, level_arg, num2int, optname_arg, shutdown_how_arg, sockaddr_arg, string_value,
};
use crate::core::resolve::SmallBytes;
use crate::core::sockaddr_message;
use crate::core::sys;
use crate::errors;
use crate::errors::WouldBlock;
use crate::ffi::protect;
use crate::io_bridge::{self, SockAddrBuf, Wait};
use crate::ruby::{addrinfo, option};
use magnus::IntoValue;
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, RClass, RString, Ruby, Value,
};
use std::os::fd::RawFd;

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
    let outcome = io_bridge::retry_send(ruby, rb_self, mesg, |fd, bytes| match &dest {
        Some(to) => sys::sendto(fd, bytes, flags, to),
        None => sys::send(fd, bytes, flags),
    })?;
    outcome.map_err(|e| errors::io_error(ruby, &e, what))
}

/// rsock_strbuf: the buffer a receive writes into, `buflen` bytes of room.
/// In stock's order of checks: an outbuf must be a String (TypeError) and
/// modifiable (FrozenError) before the length is looked at; then the one
/// receive-length rule (a negative length is ArgumentError, where stock
/// with an outbuf goes on and writes past it).
pub fn recv_buffer(ruby: &Ruby, outbuf: Option<Value>, buflen: i64) -> Result<RString, Error> {
    match outbuf.filter(|v| !v.is_nil()) {
        None => {
            let len = crate::convert::receive_length(ruby, buflen)?;
            // SAFETY: with a length that is not negative rb_str_new only
            // allocates (no protect: it showed in profiles of hot loops).
            let raw = unsafe { rb_sys::rb_str_new(std::ptr::null(), len as _) };
            // SAFETY: rb_str_new returns a String.
            Ok(unsafe { RString::from_value(Value::from_raw(raw)).expect("a String") })
        }
        Some(v) => {
            let s = string_value(v)?;
            make_room(s, buflen)?;
            crate::convert::receive_length(ruby, buflen)?;
            Ok(s)
        }
    }
}

/// Makes `s` writable (unshared, not frozen) with room for `buflen` bytes
/// (none added for a negative one).
fn make_room(s: RString, buflen: i64) -> Result<(), Error> {
    let len = s.len() as i64;
    // SAFETY: both raise (FrozenError, ArgumentError, NoMemoryError) through
    // protect.
    protect(|| unsafe {
        if len >= buflen {
            rb_sys::rb_str_modify(s.as_raw());
        } else {
            rb_sys::rb_str_modify_expand(s.as_raw(), (buflen - len) as _);
        }
    })
}

/// string.c's STR_TMPLOCK, the flag rb_str_locktmp sets.
const STR_TMPLOCK: rb_sys::VALUE = rb_sys::ruby_fl_type::RUBY_FL_USER7 as rb_sys::VALUE;

/// rb_str_locktmp. It raises only for a string already locked, so only
/// that case pays for rb_protect (a receive buffer is almost always new).
fn lock_tmp(buf: RString) -> Result<(), Error> {
    // SAFETY: reading the flags word of a live String object.
    let flags = unsafe { (*(buf.as_raw() as *const rb_sys::RBasic)).flags };
    if flags & STR_TMPLOCK != 0 {
        // SAFETY: raises RuntimeError ("temporal locking already locked
        // string"); protect catches it.
        protect(|| unsafe { rb_sys::rb_str_locktmp(buf.as_raw()) })?;
    } else {
        // SAFETY: the string is not locked, so rb_str_locktmp cannot raise.
        unsafe { rb_sys::rb_str_locktmp(buf.as_raw()) };
    }
    Ok(())
}

/// What tells whether a String changed: its flags (frozen, shared,
/// embedded...), buffer, length and capacity.
fn str_state(s: RString) -> (rb_sys::VALUE, usize, usize, usize) {
    let raw = s.as_raw();
    // SAFETY: reads of a live String's header; rb_str_capacity does not raise.
    unsafe {
        (
            (*(raw as *const rb_sys::RBasic)).flags,
            rb_sys::RSTRING_PTR(raw) as usize,
            rb_sys::RSTRING_LEN(raw) as usize,
            rb_sys::rb_str_capacity(raw) as usize,
        )
    }
}

/// Runs a receive into `buf` (at most `buflen` bytes), waiting while there
/// is nothing to read. As stock's rb_str_locktmp_ensure, the string is
/// locked against changes by other threads during each try only, not while
/// waiting; if another thread changed it meanwhile, the retry first makes
/// room in it again.
pub fn recv_into(
    ruby: &Ruby,
    io: Value,
    buf: RString,
    buflen: usize,
    mut call: impl FnMut(i32, *mut u8, usize) -> std::io::Result<usize>,
) -> io_bridge::Outcome<usize> {
    let prepared = str_state(buf);
    io_bridge::retry_loop(ruby, io, Wait::Readable, |fd| {
        if str_state(buf) != prepared {
            make_room(buf, buflen as i64)?;
        }
        lock_tmp(buf)?;
        // SAFETY: the string is locked and has room for buflen bytes.
        let ptr = unsafe { rb_sys::RSTRING_PTR(buf.as_raw()) } as *mut u8;
        let result = io_bridge::try_once(fd, &mut |fd| call(fd, ptr, buflen));
        // SAFETY: we locked it above; unlocking a locked string does not raise.
        unsafe { rb_sys::rb_str_unlocktmp(buf.as_raw()) };
        result
    })
}

/// Sets the length of a receive buffer after `n` bytes were written.
fn received_into(buf: RString, n: usize) -> RString {
    // SAFETY: callers pass the count a receive wrote into the buffer, which
    // had room for it.
    unsafe { rb_sys::rb_str_set_len(buf.as_raw(), n as _) };
    buf
}

/// Ruby 3.3+ (rsock_is_dgram): a receive of 0 bytes on a socket that is
/// not SOCK_DGRAM is the end of the stream, and the receive returns nil.
/// A caller's outbuf is left as it was then, as stock leaves it.
pub fn end_of_stream(ruby: &Ruby, io: Value, received: usize) -> Result<bool, Error> {
    if received != 0 || !crate::compat::nil_at_end_of_stream() {
        return Ok(false);
    }
    Ok(socket_type(ruby, io_bridge::fd(ruby, io)?)? != libc::SOCK_DGRAM)
}

/// SO_TYPE of a socket, or the Errno stock raises when it cannot be read.
pub fn socket_type(ruby: &Ruby, fd: RawFd) -> Result<i32, Error> {
    io_bridge::socket_type(fd).map_err(|e| errors::io_error(ruby, &e, "getsockopt(SO_TYPE)"))
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
    let mut call = |fd: RawFd, ptr: *mut u8, len: usize| {
        if sender {
            let (n, addr) = io_bridge::recv_from(fd, ptr, len, flags)?;
            from = addr;
            return Ok(n);
        }
        // SAFETY: ptr has room for len bytes (a locked String or the stack).
        unsafe { sys::recv(fd, ptr, len, flags | libc::MSG_DONTWAIT) }
    };
    let failed = |e: std::io::Error| errors::io_error(ruby, &e, "recvfrom(2)");
    let buf = match buf {
        Some(buf) => {
            let n = recv_into(ruby, rb_self, buf, buflen as usize, call)?.map_err(failed)?;
            if end_of_stream(ruby, rb_self, n)? {
                return Ok(None);
            }
            received_into(buf, n)
        }
        None => {
            let buf = recv_small(ruby, buflen as usize, |ptr, len| {
                io_bridge::retry_short_receive(ruby, rb_self, |fd| call(fd, ptr, len))?
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
    let fd = io_bridge::fd(ruby, rb_self)?;
    // A failure is ignored, as stock ignores it.
    let _ = sys::shutdown(fd, libc::SHUT_RD);
    if io_bridge::mode(ruby, rb_self)? & rb_sys::FMODE_WRITABLE as i32 == 0 {
        return io_close(rb_self);
    }
    io_bridge::update_mode(ruby, rb_self, rb_sys::FMODE_READABLE as i32, 0)?;
    Ok(ruby.qnil().as_value())
}

/// BasicSocket#close_write: shutdown(SHUT_WR), closing the IO when it is no
/// longer readable either.
fn close_write(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let fd = io_bridge::fd(ruby, rb_self)?;
    if io_bridge::mode(ruby, rb_self)? & rb_sys::FMODE_READABLE as i32 == 0 {
        return io_close(rb_self);
    }
    // A failure is ignored, as stock ignores it.
    let _ = sys::shutdown(fd, libc::SHUT_WR);
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

/// listen(2) for Socket#listen, TCPServer#listen and UNIXServer#listen
/// (stock's rsock_sock_listen): returns 0.
pub fn listen(ruby: &Ruby, rb_self: Value, backlog: Value) -> Result<i32, Error> {
    let backlog = num2int(backlog)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    sys::listen(fd, backlog).map_err(|e| errors::io_error(ruby, &e, "listen(2)"))?;
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
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nonblock<U> {
        match self {
            Nonblock::Data(v) => Nonblock::Data(f(v)),
            Nonblock::WouldBlock => Nonblock::WouldBlock,
            Nonblock::EndOfStream => Nonblock::EndOfStream,
        }
    }

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

/// The body of recv_nonblock/recvfrom_nonblock (stock's
/// rsock_s_recvfrom_nonblock): one try with MSG_DONTWAIT.
pub fn recv_nonblock_into(
    ruby: &Ruby,
    io: Value,
    len: Value,
    flags: Option<Value>,
    outbuf: Option<Value>,
    raise: bool,
    mut call: impl FnMut(RawFd, *mut u8, usize, i32) -> std::io::Result<usize>,
) -> Result<Nonblock<RString>, Error> {
    let flags = match flags {
        Some(v) => num2int(v)?,
        None => 0,
    };
    let fd = io_bridge::fd(ruby, io)?;
    if io_bridge::read_pending(io) {
        return Err(errors::buffered_io(ruby, "recvfrom"));
    }
    let buflen = num2int(len)?;
    let flags = flags | libc::MSG_DONTWAIT;
    let got = if goes_to_stack(outbuf, buflen) {
        recv_small(ruby, buflen as usize, |ptr, len| call(fd, ptr, len, flags))
    } else {
        let buf = recv_buffer(ruby, outbuf, i64::from(buflen))?;
        // SAFETY: recv_buffer made room for buflen bytes; the GVL is held and
        // no Ruby code runs before the length is set.
        let ptr = unsafe { rb_sys::RSTRING_PTR(buf.as_raw()) } as *mut u8;
        match call(fd, ptr, buflen as usize, flags) {
            Ok(n) if end_of_stream(ruby, io, n)? => return Ok(Nonblock::EndOfStream),
            Ok(n) => Ok(received_into(buf, n)),
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

/// BasicSocket#recv_nonblock(maxlen, flags = 0, outbuf = nil, exception: true)
fn recv_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, raise) = nonblock_args(ruby, args, 3)?;
    let (len, flags, outbuf) = (args[0], args.get(1).copied(), args.get(2).copied());
    let got = recv_nonblock_into(
        ruby,
        rb_self,
        len,
        flags,
        outbuf,
        raise,
        |fd, ptr, len, flags| {
            // SAFETY: ptr has room for len bytes.
            unsafe { sys::recv(fd, ptr, len, flags) }
        },
    )?;
    got.into_value(ruby, |s| Ok(s.as_value()))
}

/// BasicSocket#read_nonblock(maxlen, outbuf = nil, exception: true): IO's,
/// done with recv(MSG_DONTWAIT) as stock does on Linux.
fn read_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, raise) = nonblock_args(ruby, args, 2)?;
    let (len, outbuf) = (args[0], args.get(1).copied());
    let len = crate::convert::num2long(len)?;
    let caller_buf = outbuf.filter(|v| !v.is_nil());
    let buf = recv_buffer(ruby, outbuf, len)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    if len == 0 {
        // SAFETY: truncating a string we may modify (checked by recv_buffer).
        unsafe { rb_sys::rb_str_set_len(buf.as_raw(), 0) };
        return Ok(buf.as_value());
    }
    let len = len as usize;
    // SAFETY: recv_buffer made room for len bytes; the GVL is held.
    let ptr = unsafe { rb_sys::RSTRING_PTR(buf.as_raw()) } as *mut u8;
    let mut n = io_bridge::take_buffered(rb_self, ptr, len);
    if n == 0 {
        // SAFETY: ptr has room for len bytes.
        match unsafe { sys::recv(fd, ptr, len, libc::MSG_DONTWAIT) } {
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
    unsafe { rb_sys::rb_str_set_len(buf.as_raw(), n as _) };
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
    let fd = io_bridge::prepare_write(ruby, rb_self)?;
    let ret = io_bridge::send_once(fd, data, |fd, bytes| {
        sys::send(fd, bytes, libc::MSG_DONTWAIT)
    })?;
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
    let fd = io_bridge::fd(ruby, rb_self)?;
    sys::shutdown(fd, how)
        .map(|()| 0)
        .map_err(|e| errors::io_error(ruby, &e, "shutdown(2)"))
}

fn local_sockaddr(ruby: &Ruby, io: Value) -> Result<(RawFd, SockAddrBuf), Error> {
    let fd = io_bridge::fd(ruby, io)?;
    let addr =
        io_bridge::sock_name(fd).map_err(|e| errors::io_error(ruby, &e, "getsockname(2)"))?;
    Ok((fd, addr))
}

fn remote_sockaddr(ruby: &Ruby, io: Value) -> Result<(RawFd, SockAddrBuf), Error> {
    let fd = io_bridge::fd(ruby, io)?;
    let addr =
        io_bridge::peer_name(fd).map_err(|e| errors::io_error(ruby, &e, "getpeername(2)"))?;
    Ok((fd, addr))
}

/// BasicSocket#getsockname -> packed sockaddr String
fn getsockname(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let (_, addr) = local_sockaddr(ruby, rb_self)?;
    Ok(ruby.str_from_slice(&addr))
}

/// BasicSocket#getpeername -> packed sockaddr String
fn getpeername(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let (_, addr) = remote_sockaddr(ruby, rb_self)?;
    Ok(ruby.str_from_slice(&addr))
}

/// stock's rsock_fd_socket_addrinfo: an Addrinfo for an address of the
/// socket `fd`, its family taken from the address, its socktype from SO_TYPE.
pub fn socket_addrinfo(ruby: &Ruby, fd: RawFd, addr: &[u8]) -> Result<Value, Error> {
    let family = sockaddr_message::family_of(addr);
    let socktype = socket_type(ruby, fd)?;
    addrinfo::from_sockaddr(ruby, addr, family, socktype, 0)
}

/// BasicSocket#local_address -> Addrinfo
fn local_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) = local_sockaddr(ruby, rb_self)?;
    socket_addrinfo(ruby, fd, &addr)
}

/// BasicSocket#remote_address -> Addrinfo
fn remote_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) = remote_sockaddr(ruby, rb_self)?;
    socket_addrinfo(ruby, fd, &addr)
}

/// BasicSocket#connect_address: local_address with an unspecified address
/// replaced by loopback; SocketError when the socket is unbound.
fn connect_address(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) = local_sockaddr(ruby, rb_self)?;
    let addr =
        sockaddr_message::connect_address(&addr).map_err(|msg| errors::socket_error(ruby, msg))?;
    socket_addrinfo(ruby, fd, &addr)
}

/// BasicSocket#getpeereid -> [euid, egid], from SO_PEERCRED on Linux.
fn getpeereid(ruby: &Ruby, rb_self: Value) -> Result<(u32, u32), Error> {
    let fd = io_bridge::fd(ruby, rb_self)?;
    sys::peer_credentials(fd).map_err(|e| errors::io_error(ruby, &e, "getsockopt(SO_PEERCRED)"))
}

/// BasicSocket#getsockopt(level, optname) -> Socket::Option
fn getsockopt(ruby: &Ruby, rb_self: Value, level: Value, optname: Value) -> Result<Value, Error> {
    let family = io_bridge::family(ruby, rb_self)?;
    let level = level_arg(ruby, family, level)?;
    let optname = optname_arg(ruby, family, level, optname)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    let mut buf = [0u8; 256];
    let len = sys::getsockopt(fd, level, optname, &mut buf)
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
    let fd = io_bridge::fd(ruby, rb_self)?;
    sys::setsockopt(fd, level, optname, &data)
        .map(|()| 0)
        .map_err(|e| errors::io_error(ruby, &e, "setsockopt(2)"))
}

/// accept(2) for Socket#accept, TCPServer#accept, UNIXServer#accept and the
/// sysaccept methods: waits for a connection; the new fd and peer address.
pub fn accept_fd(ruby: &Ruby, rb_self: Value) -> Result<(RawFd, SockAddrBuf), Error> {
    io_bridge::accept(ruby, rb_self)?.map_err(|e| errors::io_error(ruby, &e, "accept(2)"))
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
    wrap: impl FnOnce(RawFd, &[u8]) -> Result<Value, Error>,
) -> Result<Value, Error> {
    let (_, raise) = nonblock_args(ruby, args, 0)?;
    let fd = io_bridge::set_nonblock(ruby, rb_self)?;
    match io_bridge::accept_once(fd) {
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

/// The body of every __recvfrom_nonblock (stock's
/// rsock_s_recvfrom_nonblock with a sender): (maxlen, flags, outbuf,
/// exception): the message and the sender's packed address.
pub fn receive_from_nonblock(
    ruby: &Ruby,
    rb_self: Value,
    args: &[Value],
) -> Result<Nonblock<(RString, SockAddrBuf)>, Error> {
    let (args, raise) = nonblock_args(ruby, args, 3)?;
    let (len, flags, outbuf) = (args[0], args.get(1).copied(), args.get(2).copied());
    let mut from = SockAddrBuf::new();
    let got = recv_nonblock_into(
        ruby,
        rb_self,
        len,
        flags,
        outbuf,
        raise,
        |fd, ptr, len, flags| {
            let (n, addr) = io_bridge::recv_from(fd, ptr, len, flags)?;
            from = addr;
            Ok(n)
        },
    )?;
    Ok(got.map(|buf| (buf, from)))
}

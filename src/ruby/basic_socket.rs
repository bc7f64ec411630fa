//! BasicSocket: the IO subclass every socket class derives from.

use crate::convert::{num2int, sockaddr_arg, string_value};
use crate::errors::{self, protect};
use crate::io_bridge::{self, Wait};
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    scan_args::scan_args,
    Error, RClass, RString, Ruby, Value,
};

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
    Ok(class)
}

/// BasicSocket.for_fd(fd): wraps an existing socket descriptor.
fn for_fd(ruby: &Ruby, class: RClass, fd: Value) -> Result<Value, Error> {
    let fd = num2int(fd)?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes into the buffer we own; any fd number is valid input.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } < 0 {
        return Err(errors::io_error(ruby, &io_bridge::last_error(), "fstat(2)"));
    }
    // SAFETY: fstat succeeded, so the buffer is initialized.
    let st = unsafe { st.assume_init() };
    if st.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(errors::syserr(
            ruby,
            libc::EBADF,
            "not a socket file descriptor",
        ));
    }
    io_bridge::wrap_fd(ruby, class, fd)
}

/// BasicSocket#send(mesg, flags [, dest_sockaddr]) -> numbytes_sent
fn send(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<usize, Error> {
    let args = scan_args::<(Value, Value), (Option<Value>,), (), (), (), ()>(args)?;
    let (mesg, flags) = args.required;
    let mesg = string_value(mesg)?;
    let dest = match args.optional.0 {
        Some(to) if !to.is_nil() => Some(unsafe { sockaddr_arg(ruby, to)?.as_slice() }.to_vec()),
        _ => None,
    };
    let flags = num2int(flags)?;
    let what = if dest.is_some() {
        "sendto(2)"
    } else {
        "send(2)"
    };
    let outcome = io_bridge::retry(ruby, rb_self, Wait::Writable, |fd| {
        // SAFETY: the slice is read during a non-blocking system call made
        // with the GVL held, so no Ruby code can change the string meanwhile.
        let bytes = unsafe { mesg.as_slice() };
        let flags = flags | libc::MSG_DONTWAIT;
        let n = match &dest {
            // SAFETY: pointers and lengths come from live slices.
            Some(to) => unsafe {
                libc::sendto(
                    fd,
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    flags,
                    to.as_ptr().cast(),
                    to.len() as libc::socklen_t,
                )
            },
            // SAFETY: as above.
            None => unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), flags) },
        };
        io_bridge::cvt(n)
    })?;
    outcome
        .map(|n| n as usize)
        .map_err(|e| errors::io_error(ruby, &e, what))
}

/// rsock_strbuf: the buffer a receive writes into, `buflen` bytes of room.
pub fn recv_buffer(outbuf: Option<Value>, buflen: i32) -> Result<RString, Error> {
    match outbuf.filter(|v| !v.is_nil()) {
        None => {
            // SAFETY: rb_str_new raises ArgumentError for a negative length;
            // protect catches it.
            let raw = protect(|| unsafe { rb_sys::rb_str_new(std::ptr::null(), buflen as _) })?;
            // SAFETY: rb_str_new returns a String.
            Ok(unsafe { RString::from_value(Value::from_raw(raw)).expect("a String") })
        }
        Some(v) => {
            let s = string_value(v)?;
            let len = s.len() as i64;
            // SAFETY: both raise (FrozenError, ArgumentError) through protect.
            protect(|| unsafe {
                if len >= buflen as i64 {
                    rb_sys::rb_str_modify(s.as_raw());
                } else {
                    rb_sys::rb_str_modify_expand(s.as_raw(), (buflen as i64 - len) as _);
                }
            })?;
            Ok(s)
        }
    }
}

/// Runs a receive into `buf` (at most `buflen` bytes) with the string locked
/// against changes by other threads while we wait, as stock locks it.
pub fn recv_into(
    ruby: &Ruby,
    io: Value,
    buf: RString,
    buflen: usize,
    mut call: impl FnMut(i32, *mut u8, usize) -> std::io::Result<usize>,
) -> io_bridge::Outcome<usize> {
    // SAFETY: rb_str_locktmp raises if the string is already locked.
    protect(|| unsafe { rb_sys::rb_str_locktmp(buf.as_raw()) })?;
    let outcome = io_bridge::retry(ruby, io, Wait::Readable, |fd| {
        // SAFETY: the string is locked and has room for buflen bytes (ensured
        // by recv_buffer); the GVL is held during the call.
        let ptr = unsafe { rb_sys::RSTRING_PTR(buf.as_raw()) } as *mut u8;
        call(fd, ptr, buflen)
    });
    // SAFETY: we locked it above; unlocking a locked string does not raise.
    unsafe { rb_sys::rb_str_unlocktmp(buf.as_raw()) };
    if let Ok(Ok(n)) = outcome {
        // SAFETY: n <= buflen bytes were written into the string's buffer.
        unsafe { rb_sys::rb_str_set_len(buf.as_raw(), n as _) };
    }
    outcome
}

/// BasicSocket#recv(maxlen [, flags [, outbuf]]) -> mesg
fn recv(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<RString, Error> {
    let args = scan_args::<(Value,), (Option<Value>, Option<Value>), (), (), (), ()>(args)?;
    let flags = crate::convert::opt_int(args.optional.0, 0)?;
    let buflen = num2int(args.required.0)?;
    let buf = recv_buffer(args.optional.1, buflen)?;
    io_bridge::fd(ruby, rb_self)?;
    if io_bridge::read_pending(rb_self) {
        return Err(Error::new(
            ruby.exception_io_error(),
            "recv for buffered IO",
        ));
    }
    let outcome = recv_into(ruby, rb_self, buf, buflen as usize, |fd, ptr, len| {
        // SAFETY: ptr has room for len bytes (see recv_into).
        let n = unsafe { libc::recv(fd, ptr.cast(), len, flags | libc::MSG_DONTWAIT) };
        io_bridge::cvt(n).map(|n| n as usize)
    })?;
    outcome.map_err(|e| errors::io_error(ruby, &e, "recvfrom(2)"))?;
    Ok(buf)
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
    // SAFETY: fd is open; shutdown's failure is ignored as stock ignores it.
    unsafe { libc::shutdown(fd, libc::SHUT_RD) };
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
    // SAFETY: fd is open; shutdown's failure is ignored as stock ignores it.
    unsafe { libc::shutdown(fd, libc::SHUT_WR) };
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

/// BasicSocket#do_not_reverse_lookup = bool; returns its argument.
fn set_no_revlookup(ruby: &Ruby, rb_self: Value, value: Value) -> Result<Value, Error> {
    let flag = io_bridge::FMODE_NOREVLOOKUP;
    let (clear, set) = if value.to_bool() {
        (0, flag)
    } else {
        (flag, 0)
    };
    io_bridge::update_mode(ruby, rb_self, clear, set)?;
    Ok(value)
}

/// listen(2) for Socket#listen, TCPServer#listen and UNIXServer#listen
/// (stock's rsock_sock_listen): returns 0.
pub fn listen(ruby: &Ruby, rb_self: Value, backlog: Value) -> Result<i32, Error> {
    let backlog = num2int(backlog)?;
    let fd = io_bridge::fd(ruby, rb_self)?;
    // SAFETY: listen takes plain integers.
    if unsafe { libc::listen(fd, backlog) } < 0 {
        return Err(errors::syserr(ruby, io_bridge::last_errno(), "listen(2)"));
    }
    Ok(0)
}

/// The `exception:` keyword of the *_nonblock methods (default true), with
/// stock's errors for extra positional arguments and unknown keywords.
pub fn exception_kwarg(args: &[Value]) -> Result<bool, Error> {
    let args = scan_args::<(), (), (), (), magnus::RHash, ()>(args)?;
    let kw = magnus::scan_args::get_kwargs::<_, (), (Option<Value>,), ()>(
        args.keywords,
        &[],
        &["exception"],
    )?;
    Ok(kw.optional.0.is_none_or(|v| v.to_bool()))
}

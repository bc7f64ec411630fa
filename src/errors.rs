//! The one place that builds Ruby exceptions, and the one guard around C calls
//! that may raise.
//!
//! Messages follow stock: `Errno::ECONNREFUSED: Connection refused -
//! connect(2) for 127.0.0.1:1`, `SocketError: unknown socket domain: FOO`.

use magnus::{
    exception::ExceptionClass,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::Lazy,
    Error, Exception, RClass, RModule, Ruby, Value,
};
use rb_sys::VALUE;

static SOCKET_ERROR: Lazy<ExceptionClass> = Lazy::new(|ruby| {
    ruby.class_object()
        .const_get("SocketError")
        .expect("SocketError is defined before use")
});

static RESOLUTION_ERROR: Lazy<ExceptionClass> = Lazy::new(|ruby| {
    let socket: RClass = ruby.class_object().const_get("Socket").expect("Socket");
    socket
        .const_get("ResolutionError")
        .expect("Socket::ResolutionError is defined before use")
});

fn io_const<T: magnus::TryConvert>(ruby: &Ruby, name: &str) -> T {
    ruby.class_io().const_get(name).expect("IO constant")
}

/// `SocketError` with a message.
pub fn socket_error(ruby: &Ruby, msg: impl Into<String>) -> Error {
    Error::new(ruby.get_inner(&SOCKET_ERROR), msg.into())
}

/// `SocketError` with a message of arbitrary bytes (stock formats names
/// with %s, byte for byte).
pub fn socket_error_bytes(ruby: &Ruby, msg: &[u8]) -> Error {
    let class = ruby.get_inner(&SOCKET_ERROR);
    match class.new_instance((ruby.str_from_slice(msg),)) {
        Ok(exc) => {
            let exc: Exception = exc;
            Error::from(exc)
        }
        Err(e) => e,
    }
}

/// `Socket::ResolutionError` carrying the getaddrinfo error code.
pub fn resolution_error(ruby: &Ruby, code: i32, msg: &str) -> Error {
    let class = ruby.get_inner(&RESOLUTION_ERROR);
    match class.new_instance((ruby.str_new(msg),)) {
        Ok(exc) => {
            let exc: Exception = exc;
            // A hidden ivar (no @), as Ruby 3.4 keeps it: not in #instance_variables.
            // SAFETY: setting an ivar on an unfrozen exception we just built
            // does not raise.
            unsafe {
                rb_sys::rb_ivar_set(
                    exc.as_raw(),
                    error_code_id(),
                    rb_sys::rb_int2inum(code as _),
                )
            };
            Error::from(exc)
        }
        Err(e) => e,
    }
}

/// ArgumentError "negative string size (or size too big)", as rb_str_new
/// raises it for a buffer size that is negative (or past i64::MAX).
pub fn negative_string_size(ruby: &Ruby) -> Error {
    Error::new(
        ruby.exception_arg_error(),
        "negative string size (or size too big)",
    )
}

/// ArgumentError for Ruby 4.0's open_timeout: given with one of the
/// timeouts it replaces.
pub fn open_timeout_conflict(ruby: &Ruby) -> Error {
    Error::new(
        ruby.exception_arg_error(),
        "Cannot specify open_timeout along with connect_timeout or resolv_timeout",
    )
}

/// An open_timeout that passed (Ruby 4.0): IO::TimeoutError "user specified
/// timeout for 127.0.0.1:80"; Errno::ETIMEDOUT on Rubies without
/// IO::TimeoutError (3.1). `place` names the address, or host:port before
/// any was tried.
pub fn user_specified_timeout(ruby: &Ruby, place: &str) -> Error {
    user_specified_timeout_message(ruby, format!("user specified timeout for {place}"))
}

/// "127.0.0.1:80" / "[::1]:80": how a timeout names an address (stock's
/// Addrinfo#inspect_sockaddr).
pub fn place_of(sa: &[u8]) -> String {
    String::from_utf8_lossy(&crate::core::sockaddr_message::describe(sa)).into_owned()
}

/// "localhost port 80": how Ruby 4.0's TCPSocket and lookups name what was
/// being resolved when a timeout passed.
pub fn place_of_host(host: &[u8], port: &[u8]) -> String {
    format!(
        "{} port {}",
        String::from_utf8_lossy(host),
        String::from_utf8_lossy(port)
    )
}

fn user_specified_timeout_message(ruby: &Ruby, message: String) -> Error {
    if crate::compat::has_io_timeout_error() {
        io_timeout(ruby, message)
    } else {
        syserr(ruby, libc::ETIMEDOUT, &message)
    }
}

/// Whether `error` is an IO::TimeoutError (a connect timeout on 3.4).
pub fn is_io_timeout(ruby: &Ruby, error: &Error) -> bool {
    crate::compat::has_io_timeout_error()
        && error.is_kind_of(io_const::<ExceptionClass>(ruby, "TimeoutError"))
}

/// Exceptions of Ruby's core classes with a message of the caller's: one
/// named constructor each, all of one shape.
macro_rules! core_exceptions {
    ($($(#[$doc:meta])* $name:ident => $class:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(ruby: &Ruby, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
                Error::new(ruby.$class(), msg)
            }
        )*
    };
}

core_exceptions! {
    /// ArgumentError with `msg`.
    argument_error => exception_arg_error;
    /// TypeError with `msg`.
    type_error => exception_type_error;
    /// RangeError with `msg`.
    range_error => exception_range_error;
    /// RuntimeError with `msg`.
    runtime_error => exception_runtime_error;
    /// EOFError with `msg`.
    eof_error => exception_eof_error;
    /// IOError with `msg`.
    io_error_message => exception_io_error;
    /// NoMemoryError with `msg`.
    no_memory_error => exception_no_mem_error;
}

/// IOError "recv for buffered IO": a receive on a socket whose Ruby IO
/// buffer holds data already read (stock refuses rather than reorder).
pub fn buffered_io(ruby: &Ruby, call: &str) -> Error {
    io_error_message(ruby, format!("{call} for buffered IO"))
}

/// `IOError: closed stream`, as rb_io_check_closed raises it.
pub fn closed_stream(ruby: &Ruby) -> Error {
    Error::new(ruby.exception_io_error(), "closed stream")
}

/// IOError for a call whose IO another thread closed while it ran, worded
/// as Ruby's own.
pub fn closed_in_another_thread(ruby: &Ruby) -> Error {
    Error::new(ruby.exception_io_error(), "stream closed in another thread")
}

/// The Errno::* exception for `errno`, message "<strerror> - <what>".
pub fn syserr(ruby: &Ruby, errno: i32, what: &str) -> Error {
    syserr_bytes(ruby, errno, what.as_bytes())
}

/// As [`syserr`], for messages that carry arbitrary bytes (socket paths).
pub fn syserr_bytes(ruby: &Ruby, errno: i32, what: &[u8]) -> Error {
    let msg = ruby.str_from_slice(what);
    // SAFETY: rb_syserr_new_str only allocates an exception object; it does
    // not raise for any errno value (unknown ones become SystemCallError).
    let exc = unsafe { rb_sys::rb_syserr_new_str(errno, msg.as_raw()) };
    exception_from_raw(exc)
}

/// ArgumentError "sockaddr string too big": a sockaddr String longer than
/// an Addrinfo holds.
pub fn sockaddr_too_big(ruby: &Ruby) -> Error {
    Error::new(ruby.exception_arg_error(), "sockaddr string too big")
}

/// The Errno::* exception with stock's address suffix:
/// "<strerror> - connect(2) for 127.0.0.1:1" (rsock_syserr_fail_sockaddr).
/// As stock, which describes the address through an Addrinfo: a sockaddr
/// longer than an Addrinfo holds (stock's union_sockaddr, 2048 bytes) is
/// ArgumentError "sockaddr string too big".
pub fn syserr_sockaddr(ruby: &Ruby, errno: i32, call: &str, addr: &[u8]) -> Error {
    if addr.len() > crate::core::sockaddr::ADDRINFO_MAX {
        return sockaddr_too_big(ruby);
    }
    let mut what = format!("{call} for ").into_bytes();
    what.extend_from_slice(&crate::core::sockaddr_message::describe(addr));
    syserr_bytes(ruby, errno, &what)
}

/// The Errno::* exception with the bare strerror message, as
/// rb_syserr_fail_path with a nil path raises it.
pub fn syserr_plain(errno: i32) -> Error {
    // SAFETY: rb_syserr_new only allocates; a null message means none.
    let exc = unsafe { rb_sys::rb_syserr_new(errno, std::ptr::null()) };
    exception_from_raw(exc)
}

/// The Errno::* exception from an `io::Error` returned by a system call.
pub fn io_error(ruby: &Ruby, err: &std::io::Error, what: &str) -> Error {
    syserr(ruby, err.raw_os_error().unwrap_or(libc::EIO), what)
}

fn exception_from_raw(exc: VALUE) -> Error {
    // SAFETY: the value was just created by the VM and is an Exception.
    let value = unsafe { Value::from_raw(exc) };
    match Exception::from_value(value) {
        Some(e) => Error::from(e),
        None => Error::new(
            Ruby::get().expect("ruby thread").exception_runtime_error(),
            "not an exception",
        ),
    }
}

/// Which way a non-blocking call would have blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WouldBlock {
    Read,
    Write,
}

/// The exception a `*_nonblock` method raises for `errno`: IO::EAGAINWaitReadable,
/// IO::EINPROGRESSWaitWritable, or the Errno::* class extended with
/// IO::WaitReadable/IO::WaitWritable, as rb_readwrite_syserr_fail builds it.
pub fn would_block(ruby: &Ruby, way: WouldBlock, errno: i32, what: &str) -> Error {
    let (suffix, module) = match way {
        WouldBlock::Read => ("WaitReadable", "WaitReadable"),
        WouldBlock::Write => ("WaitWritable", "WaitWritable"),
    };
    let flavoured = match errno {
        e if e == libc::EAGAIN => Some(format!("EAGAIN{suffix}")),
        e if e == libc::EINPROGRESS => Some(format!("EINPROGRESS{suffix}")),
        _ => None,
    };
    if let Some(name) = flavoured {
        let class: ExceptionClass = io_const(ruby, &name);
        return Error::new(class, what.to_owned());
    }
    let err = syserr(ruby, errno, what);
    if let Some(exc) = err.value() {
        let module: RModule = io_const(ruby, module);
        // SAFETY: extending a fresh exception object with a module cannot raise.
        unsafe { rb_sys::rb_extend_object(exc.as_raw(), module.as_raw()) };
    }
    err
}

/// The ID of the hidden ivar holding Socket::ResolutionError#error_code.
pub fn error_code_id() -> rb_sys::ID {
    // SAFETY: interning a static C string does not raise.
    unsafe { rb_sys::rb_intern(c"error_code".as_ptr()) }
}

/// The Errno::* exception for a call on a UNIX socket path, as stock's
/// rsock_syserr_fail_path: "<what> for <path>", the path escaped for
/// printing; just "<what>" without a path.
pub fn syserr_path(ruby: &Ruby, errno: i32, what: &str, path: Option<magnus::RString>) -> Error {
    let Some(path) = path else {
        return syserr(ruby, errno, what);
    };
    let utf8 = path.enc_get() == ruby.utf8_encindex() || path.enc_get() == ruby.usascii_encindex();
    // SAFETY: the bytes are copied by the escape before any Ruby call.
    let shown = crate::core::sockaddr_message::escape_for_message(unsafe { path.as_slice() }, utf8);
    syserr(ruby, errno, &format!("{what} for {shown}"))
}

/// The Errno::* exception for a call about a host and port given by the
/// caller, as stock's rsock_syserr_fail_host_port: `connect(2) for
/// "localhost" port 80` (the host inspected, the port as its to_s).
pub fn syserr_host_port(ruby: &Ruby, errno: i32, what: &str, host: Value, port: Value) -> Error {
    let host = host.inspect();
    let port: String = if port.is_nil() {
        String::new()
    } else {
        match port.to_r_string() {
            // SAFETY: the bytes are copied before any other Ruby call.
            Ok(s) => String::from_utf8_lossy(unsafe { s.as_slice() }).into_owned(),
            Err(e) => return e,
        }
    };
    let message = format!("{what} for {host} port {port}");
    if errno == libc::ETIMEDOUT && crate::compat::connect_timeout_is_io_timeout() {
        return io_timeout(ruby, message);
    }
    syserr(ruby, errno, &message)
}

/// `IO::TimeoutError` (Ruby 3.2+) with a message: "Connect timed out!",
/// or a host-port message as rsock_syserr_fail_host_port words it.
pub fn io_timeout(ruby: &Ruby, msg: impl Into<String>) -> Error {
    let class: ExceptionClass = io_const(ruby, "TimeoutError");
    // An instance, not Error::new's (class, message) pair: TCPSocket's Happy
    // Eyeballs raises the object from Ruby.
    match class.new_instance::<(magnus::RString,)>((ruby.str_new(&msg.into()),)) {
        Ok(exc) => Error::from(exc),
        Err(e) => e,
    }
}

/// What a *_nonblock method returns or raises when the call would block:
/// `:wait_readable`/`:wait_writable` under `exception: false` (`raise`
/// false), else the IO::WaitReadable/IO::WaitWritable flavoured exception
/// with `what` as its message (stock's rb_readwrite_syserr_fail).
pub fn nonblock_would_block(
    ruby: &Ruby,
    way: WouldBlock,
    errno: i32,
    raise: bool,
    what: &str,
) -> Result<Value, Error> {
    if raise {
        return Err(would_block(ruby, way, errno, what));
    }
    Ok(match way {
        WouldBlock::Read => wait_readable(ruby),
        WouldBlock::Write => wait_writable(ruby),
    })
}

static WAIT_READABLE: magnus::value::LazyId = magnus::value::LazyId::new("wait_readable");
static WAIT_WRITABLE: magnus::value::LazyId = magnus::value::LazyId::new("wait_writable");

/// :wait_readable, what *_nonblock methods return with `exception: false`.
pub fn wait_readable(ruby: &Ruby) -> Value {
    crate::ffi::symbol(ruby, &WAIT_READABLE)
}

/// :wait_writable, as `wait_readable`.
pub fn wait_writable(ruby: &Ruby) -> Value {
    crate::ffi::symbol(ruby, &WAIT_WRITABLE)
}

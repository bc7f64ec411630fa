//! TCPSocket < IPSocket: a TCP client connection.

use crate::convert;
use crate::core::resolve;
use crate::errors;
use crate::io_bridge;
use crate::ruby::ip_socket::{init_inetsock, InetArgs, InetRole};
use crate::ruby::socket::{hostent_lookup, make_hostent, make_ipaddr, warn, SOCKET};
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::{Lazy, LazyId},
    Error, RArray, RClass, RModule, Ruby, Value,
};

static HAPPY_EYEBALLS: Lazy<RClass> = Lazy::new(|ruby| {
    let module: RModule = ruby.class_object().const_get("SocketRs").expect("SocketRs");
    module
        .const_get("TCPSocketHappyEyeballs")
        .expect("lib/socket_rs/happy_eyeballs.rb is loaded with the library")
});

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("TCPSocket", superclass)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("gethostbyname", function!(gethostbyname, 1))?;
    // lib/socket_rs/happy_eyeballs.rb's TCPSocketHappyEyeballs raises what
    // these return: errors built from an errno or a resolver code.
    class
        .singleton_class()?
        .define_private_method("__connect_error", function!(connect_error, 4))?;
    class
        .singleton_class()?
        .define_private_method("__resolution_error", function!(resolution_error, 1))?;
    Ok(class)
}

/// A timeout keyword: nil or a number of seconds, converted as stock
/// converts it (rb_time_interval: RangeError for 2**64 or Float::INFINITY,
/// ArgumentError for a negative one, TypeError for a non-number), before
/// anything is resolved.
pub fn timeout_arg(value: Option<Value>) -> Result<Option<f64>, Error> {
    match value {
        Some(v) if !v.is_nil() => Ok(Some(crate::convert::time_interval(v)?)),
        _ => Ok(None),
    }
}

/// Whether `host` is a String naming a host rather than a numeric address
/// (Happy Eyeballs only applies to names).
fn is_host_name(host: Value) -> bool {
    let Some(s) = magnus::RString::from_value(host) else {
        return false;
    };
    // SAFETY: the bytes are read before any other Ruby call.
    let name = unsafe { s.as_slice() };
    !name.is_empty() && resolve::numeric_sockaddr(name, 0, libc::AF_UNSPEC).is_none()
}

static RESOLV_TIMEOUT: LazyId = LazyId::new("resolv_timeout");
static CONNECT_TIMEOUT: LazyId = LazyId::new("connect_timeout");
static FAST_FALLBACK: LazyId = LazyId::new("fast_fallback");
static TCP_FAST_FALLBACK_IVAR: LazyId = LazyId::new("@tcp_fast_fallback");

/// Socket.tcp_fast_fallback, the default of `fast_fallback:`, read where
/// lib/socket_rs/tcp.rb keeps it (stock 3.4 reads its C variable too, not
/// the method).
fn tcp_fast_fallback(ruby: &Ruby) -> bool {
    let id = LazyId::get_inner_with(&TCP_FAST_FALLBACK_IVAR, ruby);
    // SAFETY: rb_ivar_get on a class object only reads its ivar table.
    let value = unsafe {
        rb_sys::rb_ivar_get(
            ruby.get_inner(&SOCKET).as_raw(),
            magnus::rb_sys::AsRawId::as_raw(id),
        )
    };
    // SAFETY: rb_ivar_get returns a live VALUE (nil when unset).
    unsafe { Value::from_raw(value) }.to_bool()
}

/// TCPSocket.new(remote_host, remote_port, local_host = nil, local_port = nil,
/// resolv_timeout: nil, connect_timeout: nil, fast_fallback: true)
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, keywords) = convert::split_keywords(args);
    convert::check_arity(ruby, args.len(), 2, 4)?;
    let [resolv_timeout, connect_timeout, fast_fallback] = match keywords {
        Some(hash) => convert::optional_keywords(
            ruby,
            hash,
            &[&RESOLV_TIMEOUT, &CONNECT_TIMEOUT, &FAST_FALLBACK],
        )?,
        None => [None; 3],
    };
    let nil = ruby.qnil().as_value();
    let (remote_host, remote_serv) = (args[0], args[1]);
    let local_host = args.get(2).copied().unwrap_or(nil);
    let local_serv = args.get(3).copied().unwrap_or(nil);
    // Checked before anything is resolved, on either path, as stock.
    let resolv_secs = timeout_arg(resolv_timeout)?;
    let connect_secs = timeout_arg(connect_timeout)?;
    let fast_fallback = match fast_fallback {
        Some(v) => v.to_bool(),
        None => tcp_fast_fallback(ruby),
    };
    if fast_fallback && is_host_name(remote_host) {
        return connect_happy_eyeballs(
            ruby,
            rb_self,
            [remote_host, remote_serv, local_host, local_serv],
            resolv_timeout,
            connect_timeout,
        );
    }
    let inet = InetArgs {
        remote_host,
        remote_serv,
        local_host,
        local_serv,
        role: InetRole::Client,
        resolv_timeout: resolv_secs,
        connect_timeout: connect_secs,
    };
    init_inetsock(ruby, rb_self, &inet)
}

/// Connects with the Happy Eyeballs v2 engine shared with Socket.tcp, then
/// takes over its socket. Connect errors are worded as TCPSocket words them
/// (`connect(2) for "host" port 80`).
fn connect_happy_eyeballs(
    ruby: &Ruby,
    rb_self: Value,
    [host, port, local_host, local_port]: [Value; 4],
    resolv_timeout: Option<Value>,
    connect_timeout: Option<Value>,
) -> Result<Value, Error> {
    let kwargs = ruby.hash_new();
    kwargs.aset(ruby.to_symbol("connect_timeout"), connect_timeout)?;
    kwargs.aset(ruby.to_symbol("resolv_timeout"), resolv_timeout)?;
    let engine: Value = ruby.get_inner(&HAPPY_EYEBALLS).funcall(
        "new",
        (host, port, local_host, local_port, magnus::KwArgs(kwargs)),
    )?;
    let sock: Value = engine.funcall("connect", ())?;
    io_bridge::adopt_fd(ruby, rb_self, sock)
}

/// The exception TCPSocket.new raises when its Happy Eyeballs connect
/// failed with `errno` (the last attempt's), or when `timed_out`: the
/// connect_timeout passed (stock 3.4's wait_connectable raises
/// IO::TimeoutError "Connect timed out!"; older Rubies word it by host and
/// port, and 3.3 makes ETIMEDOUT an IO::TimeoutError).
fn connect_error(
    ruby: &Ruby,
    errno: i32,
    host: Value,
    port: Value,
    timed_out: bool,
) -> Result<Value, Error> {
    let error = if timed_out && crate::compat::connect_honours_io_timeout() {
        errors::io_timeout(ruby, "Connect timed out!")
    } else {
        errors::syserr_host_port(ruby, errno, "connect(2)", host, port)
    };
    // The exception object itself; a failure to build it is raised instead.
    error.value().ok_or(error)
}

/// The Socket::ResolutionError TCPSocket.new raises for a failed lookup
/// with getaddrinfo's `code`, worded as the running Ruby's TCPSocket does.
fn resolution_error(ruby: &Ruby, code: i32) -> Result<Value, Error> {
    let reason = crate::compat::tcp_socket_resolution_reason();
    let message = format!("{reason}: {}", resolve::gai_strerror(code));
    let error = errors::resolution_error(ruby, code, &message);
    error.value().ok_or(error)
}

/// TCPSocket.gethostbyname(host) (deprecated): [name, aliases, family,
/// numeric addresses...].
fn gethostbyname(ruby: &Ruby, host: Value) -> Result<RArray, Error> {
    warn(c"TCPSocket.gethostbyname is deprecated; use Addrinfo.getaddrinfo instead.")?;
    let list = hostent_lookup(ruby, host)?;
    make_hostent(ruby, host, &list, |sa| {
        make_ipaddr(ruby, sa).map(|s| s.as_value())
    })
}

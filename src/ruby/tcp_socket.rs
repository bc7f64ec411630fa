//! TCPSocket < IPSocket: a TCP client connection.

use crate::convert;
use crate::core::resolve::{self, AddrInfo};
use crate::errors;
use crate::io_bridge;
use crate::ruby::ip_socket::{init_inetsock, InetArgs, InetRole};
use crate::ruby::resolution::{self, make_ipaddr};
use crate::ruby::socket::{hostent_lookup, make_hostent, warn, SOCKET};
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
    // these return: TCPSocket's errors, built from an errno or a resolver
    // code as this library builds them everywhere else.
    let singleton = class.singleton_class()?;
    singleton.define_private_method("__fail_host_port", function!(fail_host_port, 4))?;
    singleton.define_private_method("__connect_timed_out", function!(connect_timed_out, 3))?;
    singleton.define_private_method("__open_timeout_error", function!(open_timeout_error, 1))?;
    singleton.define_private_method("__resolution_error", function!(resolution_error, 1))?;
    singleton.define_private_method("__connect_error", function!(connect_error, 1))?;
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

/// Whether TCPSocket.new connects to `host` with Happy Eyeballs: nil (the
/// loopback addresses) or a String that inet_pton(3) does not read as an
/// IPv4 or IPv6 address, as Ruby 3.4 decides. "" and "<any>" stand for
/// 0.0.0.0 and "<broadcast>" for 255.255.255.255 there; other types are
/// numeric addresses or a TypeError later.
fn uses_happy_eyeballs(host: Value) -> bool {
    if host.is_nil() {
        return true;
    }
    let Some(s) = magnus::RString::from_value(host) else {
        return false;
    };
    // SAFETY: the bytes are copied before any other Ruby call.
    let name = unsafe { s.as_slice() }.to_vec();
    !matches!(name.as_slice(), b"" | b"<any>" | b"<broadcast>")
        && resolve::numeric_sockaddr(&name, 0, libc::AF_UNSPEC).is_none()
}

static RESOLV_TIMEOUT: LazyId = LazyId::new("resolv_timeout");
static CONNECT_TIMEOUT: LazyId = LazyId::new("connect_timeout");
static OPEN_TIMEOUT: LazyId = LazyId::new("open_timeout");
static FAST_FALLBACK: LazyId = LazyId::new("fast_fallback");
static TEST_MODE_SETTINGS: LazyId = LazyId::new("test_mode_settings");
static TCP_FAST_FALLBACK_IVAR: LazyId = LazyId::new("@tcp_fast_fallback");

/// Socket.tcp_fast_fallback, the default of `fast_fallback:`, read where
/// lib/socket_rs/tcp.rb keeps it (stock 3.4 reads its ivar too, not the
/// method); nil counts as true there.
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
    let value = unsafe { Value::from_raw(value) };
    value.is_nil() || value.to_bool()
}

/// TCPSocket.new(remote_host, remote_port, local_host = nil, local_port = nil,
/// resolv_timeout: nil, connect_timeout: nil, open_timeout: nil,
/// fast_fallback: true, test_mode_settings: nil)
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, keywords) = convert::split_keywords(args);
    convert::check_arity(ruby, args.len(), 2, 4)?;
    let [resolv_timeout, connect_timeout, open_timeout, fast_fallback, test_mode_settings] =
        match keywords {
            Some(hash) => convert::optional_keywords(
                ruby,
                hash,
                &[
                    &RESOLV_TIMEOUT,
                    &CONNECT_TIMEOUT,
                    &OPEN_TIMEOUT,
                    &FAST_FALLBACK,
                    &TEST_MODE_SETTINGS,
                ],
            )?,
            None => [None; 5],
        };
    let nil = ruby.qnil().as_value();
    let given = |v: Option<Value>| v.filter(|v| !v.is_nil());
    let (resolv_timeout, connect_timeout, open_timeout) = (
        given(resolv_timeout),
        given(connect_timeout),
        given(open_timeout),
    );
    if open_timeout.is_some() && (resolv_timeout.is_some() || connect_timeout.is_some()) {
        return Err(errors::open_timeout_conflict(ruby));
    }
    let (remote_host, remote_serv) = (args[0], args[1]);
    let local_host = args.get(2).copied().unwrap_or(nil);
    let local_serv = args.get(3).copied().unwrap_or(nil);
    // Checked before anything is resolved, on either path, as stock.
    let resolv_secs = timeout_arg(resolv_timeout)?;
    let connect_secs = timeout_arg(connect_timeout)?;
    let open_secs = timeout_arg(open_timeout)?;
    let fast_fallback = match fast_fallback {
        Some(v) if !v.is_nil() => v.to_bool(),
        _ => tcp_fast_fallback(ruby),
    };
    let happy_eyeballs = fast_fallback && uses_happy_eyeballs(remote_host);
    let plain =
        test_mode_settings.is_none_or(|v| v.is_nil()) && local_host.is_nil() && local_serv.is_nil();
    let resolved = if happy_eyeballs && plain {
        single_hosts_file_address(ruby, remote_host, remote_serv)
    } else {
        None
    };
    if happy_eyeballs && resolved.is_none() {
        let kwargs = ruby.hash_new();
        kwargs.aset(ruby.to_symbol("connect_timeout"), connect_secs)?;
        kwargs.aset(ruby.to_symbol("resolv_timeout"), resolv_secs)?;
        kwargs.aset(ruby.to_symbol("open_timeout"), open_secs)?;
        kwargs.aset(ruby.to_symbol("test_mode_settings"), test_mode_settings)?;
        let engine: Value = ruby.get_inner(&HAPPY_EYEBALLS).funcall(
            "new",
            (
                remote_host,
                remote_serv,
                local_host,
                local_serv,
                magnus::KwArgs(kwargs),
            ),
        )?;
        let sock: Value = engine.funcall("connect", ())?;
        return io_bridge::adopt_fd(ruby, rb_self, sock);
    }
    let inet = InetArgs {
        remote_host,
        remote_serv,
        local_host,
        local_serv,
        role: InetRole::Client,
        resolv_timeout: resolv_secs,
        connect_timeout: connect_secs,
        open_timeout: open_secs,
        resolved,
    };
    init_inetsock(ruby, rb_self, &inet)
}

/// The one address of a name that /etc/hosts answers for a single family
/// with a single entry (`127.0.0.1 localhost` in a loopback-only sandbox,
/// a container's linked host): Happy Eyeballs then has one candidate, which
/// it connects blocking, as the one-by-one path does, so that path takes
/// it without the engine's setup. The lookup is made in place.
fn single_hosts_file_address(ruby: &Ruby, host: Value, serv: Value) -> Option<Vec<AddrInfo>> {
    let family = match resolution::hosts_file_families(host).as_slice() {
        [family] => *family,
        _ => return None,
    };
    let hints = resolve::Hints {
        family,
        socktype: libc::SOCK_STREAM,
        ..Default::default()
    };
    match resolution::getaddrinfo(ruby, host, serv, hints, false, None) {
        Ok(list) if list.len() == 1 => Some(list),
        // More candidates, or an error: the engine resolves and words it.
        _ => None,
    }
}

/// The exception TCPSocket raises for `errno` from `syscall`, naming the
/// host and port given (rsock_syserr_fail_host_port).
fn fail_host_port(
    ruby: &Ruby,
    errno: i32,
    syscall: magnus::RString,
    host: Value,
    port: Value,
) -> Result<Value, Error> {
    let syscall = syscall.to_string()?;
    exception_value(errors::syserr_host_port(ruby, errno, &syscall, host, port))
}

/// The exception of TCPSocket's blocking connect to `sockaddr` whose
/// connect_timeout passed, as the running Ruby's rsock_connect raises it:
/// IO::TimeoutError "user specified timeout for 127.0.0.1:80" from 4.0,
/// "Connect timed out!" on 3.4, else ETIMEDOUT worded for the host.
fn connect_timed_out(
    ruby: &Ruby,
    host: Value,
    port: Value,
    sockaddr: magnus::RString,
) -> Result<Value, Error> {
    let error = if crate::compat::timeouts_name_the_place() {
        // SAFETY: the bytes are copied before any other Ruby call.
        let sa = unsafe { sockaddr.as_slice() }.to_vec();
        errors::user_specified_timeout(ruby, &errors::place_of(&sa))
    } else if crate::compat::connect_honours_io_timeout() {
        errors::io_timeout(ruby, "Connect timed out!")
    } else {
        errors::syserr_host_port(ruby, libc::ETIMEDOUT, "connect(2)", host, port)
    };
    exception_value(error)
}

/// The error of an open_timeout that passed at `place` ("127.0.0.1:80",
/// "localhost:80"), for Socket.tcp and Happy Eyeballs in lib/socket_rs.
fn open_timeout_error(ruby: &Ruby, place: magnus::RString) -> Result<Value, Error> {
    exception_value(errors::user_specified_timeout(ruby, &place.to_string()?))
}

/// The Socket::ResolutionError TCPSocket.new raises for a failed lookup
/// with getaddrinfo's `code`, worded as the running Ruby's TCPSocket does.
fn resolution_error(ruby: &Ruby, code: i32) -> Result<Value, Error> {
    let reason = crate::compat::tcp_socket_resolution_reason();
    let message = format!("{reason}: {}", resolve::gai_strerror(code));
    exception_value(errors::resolution_error(ruby, code, &message))
}

/// The pending error (SO_ERROR) of a socket's non-blocking connect, 0 when
/// it connected: what Happy Eyeballs reads of each attempt (as stock 3.4's
/// C code does), without the Socket::Option getsockopt builds. A private
/// singleton method, as stock's socket classes have no such instance
/// method.
fn connect_error(ruby: &Ruby, sock: Value) -> Result<i32, Error> {
    io_bridge::with_fd(ruby, sock, crate::core::sys::pending_error)?
        .map_err(|e| errors::io_error(ruby, &e, "getsockopt(2)"))
}

/// The exception object an Error carries, for Ruby code to raise; a
/// failure to build it is raised instead.
fn exception_value(error: Error) -> Result<Value, Error> {
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

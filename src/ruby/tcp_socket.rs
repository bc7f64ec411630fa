//! TCPSocket < IPSocket: a TCP client connection.

use crate::core::resolve;
use crate::errors;
use crate::io_bridge;
use crate::ruby::ip_socket::{init_inetsock, InetArgs, InetRole};
use crate::ruby::socket::{hostent_lookup, make_hostent, make_ipaddr, warn};
use magnus::{
    function, method,
    prelude::*,
    scan_args::{get_kwargs, scan_args},
    value::Lazy,
    Error, Exception, RArray, RClass, RHash, RModule, Ruby, Value,
};

static HAPPY_EYEBALLS: Lazy<RClass> = Lazy::new(|ruby| {
    let module: RModule = ruby.class_object().const_get("SocketRs").expect("SocketRs");
    module
        .const_get("HappyEyeballs")
        .expect("lib/socket_rs/happy_eyeballs.rb is loaded with the library")
});

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("TCPSocket", superclass)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("gethostbyname", function!(gethostbyname, 1))?;
    Ok(class)
}

/// A timeout keyword: nil or a number of seconds.
pub fn timeout_arg(value: Option<Value>) -> Result<Option<f64>, Error> {
    match value {
        Some(v) if !v.is_nil() => Ok(Some(f64::try_convert(v)?)),
        _ => Ok(None),
    }
}

/// Whether `host` is a String naming a host rather than a numeric address
/// (Happy Eyeballs only applies to names).
fn is_host_name(host: Value) -> bool {
    let Some(s) = magnus::RString::from_value(host) else {
        return false;
    };
    // SAFETY: the bytes are copied before any other Ruby call.
    let name = unsafe { s.as_slice() }.to_vec();
    let hints = resolve::Hints {
        socktype: libc::SOCK_STREAM,
        ..Default::default()
    };
    !name.is_empty() && resolve::numeric_getaddrinfo(Some(&name), None, &hints).is_none()
}

/// TCPSocket.new(remote_host, remote_port, local_host = nil, local_port = nil,
/// resolv_timeout: nil, connect_timeout: nil, fast_fallback: true)
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let args =
        scan_args::<(Value, Value), (Option<Value>, Option<Value>), (), (), RHash, ()>(args)?;
    let kw = get_kwargs::<_, (), (Option<Value>, Option<Value>, Option<Value>), ()>(
        args.keywords,
        &[],
        &["resolv_timeout", "connect_timeout", "fast_fallback"],
    )?;
    let (remote_host, remote_serv) = args.required;
    let local_host = args.optional.0.unwrap_or_else(|| ruby.qnil().as_value());
    let local_serv = args.optional.1.unwrap_or_else(|| ruby.qnil().as_value());
    let (resolv_timeout, connect_timeout, fast_fallback) = kw.optional;
    let fast_fallback = match fast_fallback {
        Some(v) => v.to_bool(),
        None => {
            let socket: RClass = ruby.class_object().const_get("Socket")?;
            socket
                .funcall::<_, _, Value>("tcp_fast_fallback", ())?
                .to_bool()
        }
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
        resolv_timeout: timeout_arg(resolv_timeout)?,
        connect_timeout: timeout_arg(connect_timeout)?,
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
    match engine.funcall::<_, _, Value>("connect", ()) {
        Ok(sock) => io_bridge::adopt_fd(ruby, rb_self, sock),
        Err(e) => Err(reword_connect_error(ruby, e, host, port)),
    }
}

fn reword_connect_error(ruby: &Ruby, err: Error, host: Value, port: Value) -> Error {
    let Some(exc) = err.value() else { return err };
    let Ok(exc) = Exception::from_value(exc).ok_or(()) else {
        return err;
    };
    if !exc.is_kind_of(ruby.exception_system_call_error()) {
        return err;
    }
    let message: String = exc.funcall("message", ()).unwrap_or_default();
    if message.ends_with("user specified timeout") {
        return err;
    }
    let errno: Option<i32> = exc.funcall("errno", ()).ok();
    match errno {
        Some(errno) => errors::syserr_host_port(ruby, errno, "connect(2)", host, port),
        None => err,
    }
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

//! IPSocket < BasicSocket: what TCP and UDP sockets share (addresses as
//! stock's 4-element arrays, inspect, recvfrom) and the connect/bind logic
//! of TCPSocket.new and TCPServer.new (stock's ipsocket.c).

use crate::core::constants::{self, Category};
use crate::core::resolve::{self, AddrInfo};
use crate::core::{sockaddr, sys};
use crate::errors;
use crate::ffi::protect;
use crate::io_bridge;
use crate::ruby::resolution::{self, make_ipaddr};
use crate::ruby::shared::receive;
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, RArray, RClass, RString, Ruby, Symbol, Value,
};
use std::os::fd::{AsFd, BorrowedFd};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("IPSocket", superclass)?;
    // As stock: a peer's credentials are a UNIX-socket notion.
    // SAFETY: undefining a method for a class we just defined cannot raise.
    unsafe { rb_sys::rb_undef_method(class.as_raw(), c"getpeereid".as_ptr()) };
    class.define_method("addr", method!(addr, -1))?;
    class.define_method("peeraddr", method!(peeraddr, -1))?;
    class.define_method("inspect", method!(inspect, 0))?;
    class.define_method("recvfrom", method!(recvfrom, -1))?;
    class.define_singleton_method("getaddress", function!(getaddress, 1))?;
    Ok(class)
}

/// stock's rsock_revlookup_flag: Some(no_reverse_lookup) for true/false/
/// :hostname/:numeric, None for nil.
pub fn revlookup_flag(ruby: &Ruby, value: Value) -> Result<Option<bool>, Error> {
    match value.as_raw() {
        v if v == rb_sys::Qnil as rb_sys::VALUE => return Ok(None),
        v if v == rb_sys::Qtrue as rb_sys::VALUE => return Ok(Some(false)),
        v if v == rb_sys::Qfalse as rb_sys::VALUE => return Ok(Some(true)),
        _ => {}
    }
    let Some(sym) = Symbol::from_value(value) else {
        // SAFETY: rb_check_type raises TypeError ("wrong argument type X
        // (expected Symbol)"); protect catches it.
        protect(|| unsafe {
            rb_sys::rb_check_type(value.as_raw(), rb_sys::ruby_value_type::RUBY_T_SYMBOL as _)
        })?;
        return Err(errors::type_error(ruby, "expected Symbol"));
    };
    match sym.name()?.as_ref() {
        "numeric" => Ok(Some(true)),
        "hostname" => Ok(Some(false)),
        other => Err(errors::argument_error(
            ruby,
            format!("invalid reverse_lookup flag: :{other}"),
        )),
    }
}

/// The family name stock puts first in address arrays ("AF_INET", or
/// "unknown:N").
fn family_name(ruby: &Ruby, family: i32) -> RString {
    match crate::core::constants::int_to_name(
        crate::core::constants::Category::Family,
        family as i64,
    ) {
        Some(n) => crate::convert::usascii_str(n),
        None => ruby.str_new(&format!("unknown:{family}")),
    }
}

/// stock's rsock_ipaddr as an Array: [family, port, host, numeric_host].
pub fn ipaddr_ary(ruby: &Ruby, sa: &[u8], norevlookup: bool) -> Result<RArray, Error> {
    Ok(ruby.ary_new_from_values(&ipaddr_row(ruby, sa, norevlookup)?[..4]))
}

/// stock's rsock_ipaddr: [family, port, host, numeric_host] (plus three
/// nil slots for getaddrinfo rows), reverse looking up the host unless
/// `norevlookup`.
pub fn ipaddr_row(ruby: &Ruby, sa: &[u8], norevlookup: bool) -> Result<[Value; 7], Error> {
    let family = family_name(ruby, sockaddr::family(sa));
    let mut name = None;
    if !norevlookup {
        if let Ok((h, _)) = resolution::getnameinfo_blocking(ruby, sa, 0) {
            name = Some(ruby.str_from_slice(&h));
        }
    }
    let (numeric, port) = resolution::numeric_nameinfo(ruby, sa)?;
    let nil = ruby.qnil().as_value();
    Ok([
        family.as_value(),
        ruby.integer_from_i64(i64::from(port)).as_value(),
        name.unwrap_or(numeric).as_value(),
        numeric.as_value(),
        nil,
        nil,
        nil,
    ])
}

/// The reverse-lookup choice of addr/peeraddr: stock reads the first
/// argument and ignores any others.
fn no_revlookup_for(ruby: &Ruby, io: Value, args: &[Value]) -> Result<bool, Error> {
    if let Some(&flag) = args.first() {
        if let Some(no) = revlookup_flag(ruby, flag)? {
            return Ok(no);
        }
    }
    Ok(io_bridge::mode(ruby, io)? & io_bridge::FMODE_NOREVLOOKUP != 0)
}

/// Checks that the IO is open before the reverse_lookup argument, on
/// Rubies before 3.4 (3.4 checks it after the argument).
fn check_open_first(ruby: &Ruby, io: Value) -> Result<(), Error> {
    if crate::compat::addr_checks_flag_first() {
        return Ok(());
    }
    io_bridge::fd(ruby, io)?;
    Ok(())
}

/// IPSocket#addr([reverse_lookup]) -> [family, port, host, address]
fn addr(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<RArray, Error> {
    check_open_first(ruby, rb_self)?;
    let no = no_revlookup_for(ruby, rb_self, args)?;
    let sa = io_bridge::with_fd(ruby, rb_self, sys::local_addr)?
        .map_err(|e| errors::io_error(ruby, &e, "getsockname(2)"))?;
    ipaddr_ary(ruby, &sa, no)
}

/// IPSocket#peeraddr([reverse_lookup]) -> [family, port, host, address]
fn peeraddr(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<RArray, Error> {
    check_open_first(ruby, rb_self)?;
    let no = no_revlookup_for(ruby, rb_self, args)?;
    let sa = io_bridge::with_fd(ruby, rb_self, sys::peer_addr)?
        .map_err(|e| errors::io_error(ruby, &e, "getpeername(2)"))?;
    ipaddr_ary(ruby, &sa, no)
}

/// IPSocket#inspect: IO#inspect with ", AF_INET, 127.0.0.1, 36712" added.
fn inspect(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    // SAFETY: rb_call_super runs IO#inspect for this method's frame; it may
    // raise, which protect catches.
    let raw = protect(|| unsafe { rb_sys::rb_call_super(0, std::ptr::null()) })?;
    // SAFETY: IO#inspect returns a String.
    let base = RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String");
    let Ok(Ok(sa)) = io_bridge::with_fd(ruby, rb_self, sys::local_addr) else {
        return Ok(base);
    };
    let Some(family) = constants::int_to_name(Category::Family, sockaddr::family(&sa) as i64)
    else {
        return Ok(base);
    };
    // SAFETY: copied before any other Ruby call.
    let mut text = unsafe { base.as_slice() }.to_vec();
    let closing = text.len() > 1 && text.last() == Some(&b'>');
    if closing {
        text.pop();
    }
    text.extend_from_slice(b", ");
    text.extend_from_slice(family.as_bytes());
    if let (Ok(host), Some(port)) = (sockaddr::numeric_host(&sa), sockaddr::port(&sa)) {
        text.extend_from_slice(b", ");
        text.extend_from_slice(host.as_bytes());
        text.extend_from_slice(format!(", {port}").as_bytes());
    }
    if closing {
        text.push(b'>');
    }
    let out = ruby.str_from_slice(&text);
    out.enc_associate(base.enc_get())?;
    Ok(out)
}

/// IPSocket#recvfrom(maxlen [, flags [, outbuf]]) -> [mesg, address or nil]
fn recvfrom(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Option<RArray>, Error> {
    let Some((buf, from)) = receive(ruby, rb_self, args, true)? else {
        return Ok(None);
    };
    recvfrom_result(ruby, rb_self, buf, &from).map(Some)
}

/// [mesg, ipaddr] for a received datagram; nil as the address when the
/// kernel gave none (connected stream sockets), as stock.
pub fn recvfrom_result(ruby: &Ruby, io: Value, buf: RString, from: &[u8]) -> Result<RArray, Error> {
    let storage = std::mem::size_of::<libc::sockaddr_storage>();
    let addr = if from.is_empty() || from.len() == storage {
        ruby.qnil().as_value()
    } else {
        let no = io_bridge::mode(ruby, io)? & io_bridge::FMODE_NOREVLOOKUP != 0;
        ipaddr_ary(ruby, from, no)?.as_value()
    };
    Ok(ruby.ary_new_from_values(&[buf.as_value(), addr]))
}

/// What rsock_init_inetsock makes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum InetRole {
    Client,
    Server,
}

/// The arguments of stock's rsock_init_inetsock.
pub struct InetArgs {
    pub remote_host: Value,
    pub remote_serv: Value,
    pub local_host: Value,
    pub local_serv: Value,
    pub role: InetRole,
    pub resolv_timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    /// Ruby 4.0's one deadline for resolution and connection together.
    pub open_timeout: Option<f64>,
    /// The remote addresses when the caller resolved them already.
    pub resolved: Option<Vec<AddrInfo>>,
}

/// Where an open_timeout stands: the time left, or its error once passed.
struct OpenDeadline {
    started: std::time::Instant,
    seconds: f64,
}

impl OpenDeadline {
    fn left(&self) -> f64 {
        (self.seconds - self.started.elapsed().as_secs_f64()).max(0.0)
    }

    fn passed(&self) -> bool {
        self.left() == 0.0
    }
}

/// "localhost port 80", as Ruby 4.0's TCPSocket names what it was resolving
/// when its open_timeout passed (each value as `to_s` gives it).
fn host_port_place(host: Value, serv: Value) -> String {
    let text = |v: Value| {
        if v.is_nil() {
            String::new()
        } else {
            v.to_r_string()
                .and_then(|s| s.to_string())
                .unwrap_or_default()
        }
    };
    errors::place_of_host(text(host).as_bytes(), text(serv).as_bytes())
}

/// rsock_init_inetsock, one address after another in resolver order: a
/// server binds (SO_REUSEADDR) and listens; a client binds the local
/// address of the same family if one was given, then connects. The first
/// address that works is kept; otherwise the last error is raised, naming
/// the host and port (the local ones when the local bind failed).
pub fn init_inetsock(ruby: &Ruby, obj: Value, args: &InetArgs) -> Result<Value, Error> {
    let server = args.role == InetRole::Server;
    let open = args.open_timeout.map(|seconds| OpenDeadline {
        started: std::time::Instant::now(),
        seconds,
    });
    let resolv_timeout = args.open_timeout.or(args.resolv_timeout);
    let timed_out_resolving = |e: Error| match &open {
        Some(o) if o.passed() => errors::user_specified_timeout(
            ruby,
            &host_port_place(args.remote_host, args.remote_serv),
        ),
        _ => e,
    };
    let hints = resolve::Hints {
        socktype: libc::SOCK_STREAM,
        flags: if server { libc::AI_PASSIVE } else { 0 },
        ..Default::default()
    };
    let looked_up;
    let remote: &[AddrInfo] = match &args.resolved {
        Some(list) => list,
        None => {
            looked_up = resolution::getaddrinfo(
                ruby,
                args.remote_host,
                args.remote_serv,
                hints,
                false,
                resolv_timeout,
            )
            .map_err(timed_out_resolving)?;
            &looked_up
        }
    };
    let local = if !server && (!args.local_host.is_nil() || !args.local_serv.is_nil()) {
        let hints = resolve::Hints {
            socktype: libc::SOCK_STREAM,
            ..Default::default()
        };
        Some(
            resolution::getaddrinfo(
                ruby,
                args.local_host,
                args.local_serv,
                hints,
                false,
                resolv_timeout,
            )
            .map_err(timed_out_resolving)?,
        )
    } else {
        None
    };

    let mut last: Option<(i32, &'static str, bool)> = None;
    for (i, res) in remote.iter().enumerate() {
        let bind_to = match &local {
            None => None,
            Some(list) => match list.iter().find(|l| l.family == res.family) {
                Some(l) => Some(l),
                // Another family as the last resort: it fails as stock's does.
                None if i + 1 == remote.len() && last.is_none() => list.first(),
                None => continue,
            },
        };
        // Owned until an IO takes it; every early exit below drops it.
        let fd = match io_bridge::new_socket(res.family, res.socktype, res.protocol) {
            Ok(fd) => fd,
            Err(e) => {
                last = Some((e.raw_os_error().unwrap_or(libc::EIO), "socket(2)", false));
                continue;
            }
        };
        if server {
            set_reuseaddr(fd.as_fd());
            if let Err(e) = bind_fd(fd.as_fd(), &res.addr) {
                last = Some((e, "bind(2)", false));
                continue;
            }
            if let Err(e) = sys::listen(fd.as_fd(), libc::SOMAXCONN) {
                return Err(errors::io_error(ruby, &e, "listen(2)"));
            }
            return io_bridge::init_sock(ruby, obj, fd);
        }
        if let Some(l) = bind_to {
            set_reuseaddr(fd.as_fd());
            if let Err(e) = bind_fd(fd.as_fd(), &l.addr) {
                last = Some((e, "bind(2)", true));
                continue;
            }
        }
        let timed_out = || errors::user_specified_timeout(ruby, &errors::place_of(&res.addr));
        let connect_timeout = match &open {
            Some(o) if o.passed() => return Err(timed_out()),
            Some(o) => Some(o.left()),
            None => args.connect_timeout,
        };
        io_bridge::init_sock(ruby, obj, fd)?;
        // On failure the IO gives the fd back, and it is dropped (closed).
        match io_bridge::connect(ruby, obj, &res.addr, connect_timeout) {
            Ok(Ok(())) => return Ok(obj),
            // The open_timeout passed during the connect, whichever way the
            // running Ruby reports a connect timeout.
            Ok(Err(e)) if open.is_some() && e.raw_os_error() == Some(libc::ETIMEDOUT) => {
                drop(io_bridge::detach_fd(obj));
                return Err(timed_out());
            }
            Err(e) if open.is_some() && errors::is_io_timeout(ruby, &e) => {
                drop(io_bridge::detach_fd(obj));
                return Err(timed_out());
            }
            Ok(Err(e)) => {
                drop(io_bridge::detach_fd(obj));
                last = Some((e.raw_os_error().unwrap_or(libc::EIO), "connect(2)", false));
            }
            Err(e) => {
                drop(io_bridge::detach_fd(obj));
                return Err(e);
            }
        }
    }
    let (errno, what, at_local) = last.unwrap_or((libc::EADDRNOTAVAIL, "connect(2)", false));
    let (host, port) = if at_local {
        (args.local_host, args.local_serv)
    } else {
        (args.remote_host, args.remote_serv)
    };
    Err(errors::syserr_host_port(ruby, errno, what, host, port))
}

fn set_reuseaddr(fd: BorrowedFd<'_>) {
    // A failure is ignored, as stock does.
    let _ = sys::set_reuseaddr(fd);
}

/// bind(2) of a socket to a packed sockaddr; the errno on failure.
pub fn bind_fd(fd: BorrowedFd<'_>, sa: &[u8]) -> Result<(), i32> {
    sys::bind(fd, sa).map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

/// IPSocket.getaddress(host): the first address, numeric.
fn getaddress(ruby: &Ruby, host: Value) -> Result<RString, Error> {
    let hints = resolve::Hints {
        family: libc::AF_UNSPEC,
        socktype: libc::SOCK_STREAM,
        protocol: 0,
        flags: 0,
    };
    let list = resolution::getaddrinfo(ruby, host, ruby.qnil().as_value(), hints, true, None)?;
    make_ipaddr(ruby, &list[0].addr)
}

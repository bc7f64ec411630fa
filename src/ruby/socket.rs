//! Socket: the C-like socket API.

use crate::convert::positional;
use crate::convert::{family_arg, opt_int, sockaddr_arg, socktype_arg};
use crate::errors::{self, WouldBlock};
use crate::io_bridge;
use crate::ruby::shared::{
    accept_fd, accept_nonblock_with, fd_addrinfo, listen, nonblock_args, receive, receive_nonblock,
    socket_addrinfo,
};
use magnus::{method, prelude::*, value::Lazy, Error, IntoValue, RClass, Ruby, Value};
use std::os::fd::{AsFd, IntoRawFd, OwnedFd};

/// The Socket class, for the methods that make Socket objects whatever
/// their receiver's class (accept, AncillaryData's unix_rights), and the
/// settings lib/socket_rs keeps on it.
pub static SOCKET: Lazy<RClass> =
    Lazy::new(|ruby| ruby.class_object().const_get("Socket").expect("Socket"));

pub fn init(ruby: &Ruby, basic_socket: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("Socket", basic_socket)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("pair", method!(pair, -1))?;
    class.define_singleton_method("socketpair", method!(pair, -1))?;
    class.define_method("bind", method!(bind, 1))?;
    class.define_method("listen", method!(listen, 1))?;
    class.define_method("connect", method!(connect, 1))?;
    class.define_private_method("__connect_nonblock", method!(connect_nonblock, -1))?;
    class.define_method("accept", method!(accept, 0))?;
    class.define_private_method("__accept_nonblock", method!(accept_nonblock, -1))?;
    class.define_method("sysaccept", method!(sysaccept, 0))?;
    class.define_method("recvfrom", method!(recvfrom, -1))?;
    class.define_private_method("__recvfrom_nonblock", method!(recvfrom_nonblock, -1))?;
    class.define_method("ipv6only!", method!(ipv6only, 0))?;
    init_resolution(ruby, class)?;
    Ok(class)
}

/// Socket.new(domain, socktype [, protocol])
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let ([domain, socktype], [protocol]) = positional::<2, 1>(ruby, args)?;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(protocol, 0)?;
    let fd = io_bridge::new_socket(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2)"))?;
    io_bridge::init_sock(ruby, rb_self, fd)
}

/// Socket.pair(domain, type [, protocol]) -> [socket1, socket2], also with a
/// block that receives both and closes them when it ends.
pub fn pair(ruby: &Ruby, class: RClass, args: &[Value]) -> Result<Value, Error> {
    let ([domain, socktype], [protocol]) = positional::<2, 1>(ruby, args)?;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(protocol, 0)?;
    pair_of(ruby, class, domain, socktype, protocol)
}

/// The body of Socket.pair and UNIXSocket.pair once arguments are coerced.
pub fn pair_of(
    ruby: &Ruby,
    class: RClass,
    domain: i32,
    socktype: i32,
    protocol: i32,
) -> Result<Value, Error> {
    let (a, b) = io_bridge::new_socketpair(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socketpair(2)"))?;
    // On error `b` is dropped (closed) with this frame.
    let first = io_bridge::wrap_fd(ruby, class, a)?;
    let second = io_bridge::wrap_fd(ruby, class, b)?;
    let pair = ruby.ary_new_from_values(&[first, second]);
    if !ruby.block_given() {
        return Ok(pair.as_value());
    }
    // As stock: close both when the block ends, however it ends (IO#close
    // of a closed IO is a no-op).
    let result = ruby.yield_value::<_, Value>(pair);
    let closed_first = first.funcall::<_, _, Value>("close", ());
    let closed_second = second.funcall::<_, _, Value>("close", ());
    let value = result?;
    closed_first?;
    closed_second?;
    Ok(value)
}

/// The packed sockaddr of an argument (String or Addrinfo), copied.
///
/// The copy sits in a zeroed buffer of at least sockaddr_storage size: the
/// kernel reads only `len` bytes (and rejects a short one with EINVAL), but
/// valgrind checks a short AF_INET/AF_INET6 sockaddr as if it were whole,
/// which `rake valgrind` would report as a read past the end.
fn sockaddr_bytes(ruby: &Ruby, addr: Value) -> Result<Vec<u8>, Error> {
    let s = sockaddr_arg(ruby, addr)?;
    // SAFETY: copied out before any other Ruby call.
    let bytes = unsafe { s.as_slice() };
    let mut v = vec![
        0u8;
        bytes
            .len()
            .max(std::mem::size_of::<libc::sockaddr_storage>())
    ];
    v[..bytes.len()].copy_from_slice(bytes);
    v.truncate(bytes.len());
    Ok(v)
}

/// Socket#bind(local_sockaddr) -> 0
fn bind(ruby: &Ruby, rb_self: Value, addr: Value) -> Result<i32, Error> {
    let addr = sockaddr_bytes(ruby, addr)?;
    let bound = io_bridge::with_fd(ruby, rb_self, |fd| crate::core::sys::bind(fd, &addr))?;
    bound.map(|()| 0).map_err(|e| {
        errors::syserr_sockaddr(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            "bind(2)",
            &addr,
        )
    })
}

/// Socket#connect(remote_sockaddr) -> 0, waiting for a pending connect.
fn connect(ruby: &Ruby, rb_self: Value, addr: Value) -> Result<i32, Error> {
    let addr = sockaddr_bytes(ruby, addr)?;
    io_bridge::connect(ruby, rb_self, &addr, None)?.map_err(|e| {
        errors::syserr_sockaddr(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            "connect(2)",
            &addr,
        )
    })?;
    Ok(0)
}

/// Socket#connect_nonblock(remote_sockaddr, exception: true) -> 0
fn connect_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let (args, raise) = nonblock_args(ruby, args, 1)?;
    let addr = sockaddr_bytes(ruby, args[0])?;
    io_bridge::set_nonblock(ruby, rb_self)?;
    let connected = io_bridge::with_fd(ruby, rb_self, |fd| crate::core::sys::connect(fd, &addr))?;
    let errno = match connected {
        Ok(()) => return Ok(0_i32.into_value_with(ruby)),
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    match errno {
        libc::EINPROGRESS => errors::nonblock_would_block(
            ruby,
            WouldBlock::Write,
            errno,
            raise,
            "connect(2) would block",
        ),
        libc::EISCONN if !raise => Ok(0_i32.into_value_with(ruby)),
        _ => Err(errors::syserr_sockaddr(ruby, errno, "connect(2)", &addr)),
    }
}

/// [Socket, Addrinfo] for an accepted fd; the fd is closed on error.
fn accepted_pair(ruby: &Ruby, fd: OwnedFd, addr: &[u8]) -> Result<Value, Error> {
    let sock = io_bridge::wrap_fd(ruby, ruby.get_inner(&SOCKET), fd)?;
    let ai = socket_addrinfo(ruby, sock, addr)?;
    Ok(ruby.ary_new_from_values(&[sock, ai]).as_value())
}

/// Socket#accept -> [client_socket, client_addrinfo]
fn accept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) = accept_fd(ruby, rb_self)?;
    accepted_pair(ruby, fd, &addr)
}

/// Socket#accept_nonblock(exception: true) -> [socket, addrinfo]
fn accept_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    accept_nonblock_with(ruby, rb_self, args, |fd, addr| {
        accepted_pair(ruby, fd, addr)
    })
}

fn sysaccept(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (fd, addr) = accept_fd(ruby, rb_self)?;
    // On error the fd is dropped (closed); else the caller owns the number.
    let ai = fd_addrinfo(ruby, fd.as_fd(), &addr)?;
    Ok(ruby
        .ary_new_from_values(&[fd.into_raw_fd().into_value_with(ruby), ai])
        .as_value())
}

/// Socket#recvfrom(maxlen [, flags [, outbuf]]) -> [mesg, sender_addrinfo]
fn recvfrom(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let Some((buf, from)) = receive(ruby, rb_self, args, true)? else {
        return Ok(ruby.qnil().as_value());
    };
    let ai = socket_addrinfo(ruby, rb_self, &from)?;
    Ok(ruby.ary_new_from_values(&[buf.as_value(), ai]).as_value())
}

/// Socket#recvfrom_nonblock(maxlen, flags = 0, outbuf = nil, exception: true)
fn recvfrom_nonblock(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let mut from = crate::core::sys::SockAddrBuf::new();
    receive_nonblock(ruby, rb_self, args, Some(&mut from))?.into_value(ruby, |buf| {
        let ai = socket_addrinfo(ruby, rb_self, &from)?;
        Ok(ruby.ary_new_from_values(&[buf.as_value(), ai]).as_value())
    })
}

/// Socket#ipv6only!: sets IPV6_V6ONLY, as stock's socket.rb does.
fn ipv6only(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    rb_self.funcall::<_, _, Value>(
        "setsockopt",
        (ruby.to_symbol("IPV6"), ruby.to_symbol("V6ONLY"), 1),
    )
}

// ===========================================================================
// Name resolution and sockaddr class methods (the Addrinfo issue). Kept in
// one block with its own init so it merges apart from the socket methods.

use crate::convert::{check_arity, num2long, string_value, string_value_cstr};
use crate::core::resolve::{self as resolve_core, AddrInfo, Hints};
use crate::core::{sockaddr, sys};
use crate::ffi::protect;
use crate::ruby::ip_socket::{ipaddr_row, revlookup_flag};
use crate::ruby::{addrinfo, resolution};
use magnus::{function, rb_sys::AsRawValue, RArray, RString};

pub fn init_resolution(ruby: &Ruby, class: RClass) -> Result<(), Error> {
    let _ = ruby;
    class.define_singleton_method("getaddrinfo", function!(s_getaddrinfo, -1))?;
    class.define_singleton_method("getnameinfo", function!(s_getnameinfo, -1))?;
    class.define_singleton_method("gethostname", function!(s_gethostname, 0))?;
    class.define_singleton_method("gethostbyname", function!(s_gethostbyname, 1))?;
    class.define_singleton_method("gethostbyaddr", function!(s_gethostbyaddr, -1))?;
    class.define_singleton_method("getservbyname", function!(s_getservbyname, -1))?;
    class.define_singleton_method("getservbyport", function!(s_getservbyport, -1))?;
    class.define_singleton_method("sockaddr_in", function!(s_pack_sockaddr_in, 2))?;
    class.define_singleton_method("pack_sockaddr_in", function!(s_pack_sockaddr_in, 2))?;
    class.define_singleton_method("unpack_sockaddr_in", function!(s_unpack_sockaddr_in, 1))?;
    class.define_singleton_method("sockaddr_un", function!(s_pack_sockaddr_un, 1))?;
    class.define_singleton_method("pack_sockaddr_un", function!(s_pack_sockaddr_un, 1))?;
    class.define_singleton_method("unpack_sockaddr_un", function!(s_unpack_sockaddr_un, 1))?;
    Ok(())
}

/// rb_warn with a fixed message (deprecations), which prints the caller's
/// file:line as stock's does.
pub(crate) fn warn(msg: &std::ffi::CStr) -> Result<(), Error> {
    // SAFETY: the format is "%s" with one C string argument; rb_warn may
    // raise only if a Warning.warn override raises, which protect catches.
    protect(|| unsafe { rb_sys::rb_warn(c"%s".as_ptr(), msg.as_ptr()) })
}

/// Socket.getaddrinfo(host, port [, family, socktype, protocol, flags, reverse_lookup])
fn s_getaddrinfo(ruby: &Ruby, args: &[Value]) -> Result<RArray, Error> {
    check_arity(ruby, args.len(), 2, 7)?;
    let nil = ruby.qnil().as_value();
    let arg = |i: usize| args.get(i).copied().unwrap_or(nil);
    let (host, port) = (args[0], args[1]);
    let hints = resolution::hints_from(ruby, arg(2), arg(3), arg(4), arg(5))?;
    let norevlookup = match revlookup_flag(ruby, arg(6))? {
        Some(v) => v,
        None => io_bridge::default_do_not_reverse_lookup(),
    };
    let list = resolution::getaddrinfo(ruby, host, port, hints, false, None)?;
    // Rows go straight into a Ruby Array: a Rust Vec on the heap would hide
    // them from the GC.
    let rows = ruby.ary_new_capa(list.len());
    for ai in &list {
        let mut row = ipaddr_row(ruby, &ai.addr, norevlookup)?;
        if let Some(c) = &ai.canonname {
            row[2] = ruby.str_from_slice(c).as_value();
        }
        row[4] = ruby.integer_from_i64(ai.family as i64).as_value();
        row[5] = ruby.integer_from_i64(ai.socktype as i64).as_value();
        row[6] = ruby.integer_from_i64(ai.protocol as i64).as_value();
        rows.push(ruby.ary_new_from_values(&row))?;
    }
    Ok(rows)
}

/// Socket.getnameinfo(sockaddr [, flags]) -> [host, service]
fn s_getnameinfo(ruby: &Ruby, args: &[Value]) -> Result<RArray, Error> {
    check_arity(ruby, args.len(), 1, 2)?;
    let sa = args[0];
    let flags = opt_int(args.get(1).copied(), 0)?;
    let packed = match RString::from_value(sa) {
        // SAFETY: copied at once.
        Some(s) => Some(unsafe { s.as_slice() }.to_vec()),
        None => addrinfo::sockaddr_of(ruby, sa)?,
    };
    let packed = match packed {
        Some(bytes) => Some(bytes),
        None => {
            // SAFETY: rb_check_string_type returns nil for non-strings; a
            // to_str that raises is caught by protect.
            let raw = protect(|| unsafe { rb_sys::rb_check_string_type(sa.as_raw()) })?;
            // SAFETY: nil or a String.
            let v = unsafe { <Value as magnus::rb_sys::FromRawValue>::from_raw(raw) };
            // SAFETY: copied at once.
            RString::from_value(v).map(|s| unsafe { s.as_slice() }.to_vec())
        }
    };
    let (host, serv) = if let Some(bytes) = packed {
        if bytes.len() > sockaddr::ADDRINFO_MAX {
            return Err(errors::type_error(ruby, "sockaddr length too big"));
        }
        resolution::getnameinfo_blocking(ruby, &bytes, flags)?
    } else if let Some(ary) = resolution::check_array(sa)? {
        let len = ary.len();
        let (af, port, host, numeric) = match len {
            3 => (ary.entry(0)?, ary.entry(1)?, ary.entry::<Value>(2)?, false),
            n if n >= 4 => {
                let h: Value = ary.entry(3)?;
                if h.is_nil() {
                    (ary.entry(0)?, ary.entry(1)?, ary.entry(2)?, false)
                } else {
                    (ary.entry(0)?, ary.entry(1)?, h, true)
                }
            }
            n => {
                return Err(errors::argument_error(
                    ruby,
                    format!("array size should be 3 or 4, {n} given"),
                ))
            }
        };
        let af: Value = af;
        let hints = Hints {
            family: if af.is_nil() {
                0
            } else {
                family_arg(ruby, af)?
            },
            socktype: if flags & libc::NI_DGRAM != 0 {
                libc::SOCK_DGRAM
            } else {
                libc::SOCK_STREAM
            },
            protocol: 0,
            flags: if numeric { libc::AI_NUMERICHOST } else { 0 },
        };
        let list: Vec<AddrInfo> = resolution::getaddrinfo(ruby, host, port, hints, false, None)?;
        let first = resolution::getnameinfo_blocking(ruby, &list[0].addr, flags)?;
        for ai in &list[1..] {
            if resolution::getnameinfo_blocking(ruby, &ai.addr, flags)? != first {
                return Err(errors::socket_error(
                    ruby,
                    "sockaddr resolved to multiple nodename",
                ));
            }
        }
        first
    } else {
        return Err(errors::type_error(ruby, "expecting String or Array"));
    };
    let out = ruby.ary_new_capa(2);
    out.push(ruby.str_from_slice(&host))?;
    out.push(ruby.str_from_slice(&serv))?;
    Ok(out)
}

/// Socket.gethostname
fn s_gethostname(ruby: &Ruby) -> Result<RString, Error> {
    let name = sys::hostname().map_err(|e| errors::io_error(ruby, &e, "gethostname(3)"))?;
    Ok(ruby.str_from_slice(&name))
}

#[repr(C)]
struct HostEnt {
    h_name: *mut libc::c_char,
    h_aliases: *mut *mut libc::c_char,
    h_addrtype: libc::c_int,
    h_length: libc::c_int,
    h_addr_list: *mut *mut libc::c_char,
}

extern "C" {
    fn gethostbyname(name: *const libc::c_char) -> *mut HostEnt;
    fn gethostbyaddr(
        addr: *const libc::c_void,
        len: libc::socklen_t,
        af: libc::c_int,
    ) -> *mut HostEnt;
}

/// The strings of a NULL-terminated char* array.
///
/// # Safety
/// `list` is null or a valid NULL-terminated array of C strings.
unsafe fn cstr_list(list: *mut *mut libc::c_char) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if list.is_null() {
        return out;
    }
    let mut p = list;
    // SAFETY: p walks the array up to its NULL entry, which the caller
    // promises is there; each entry before it is a NUL-terminated string.
    unsafe {
        while !(*p).is_null() {
            out.push(std::ffi::CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    out
}

/// The aliases gethostbyname(3) gives for `name` (stock calls it with the
/// GVL held too: the result lives in static storage).
fn host_aliases(name: &[u8]) -> Vec<Vec<u8>> {
    let Ok(c) = std::ffi::CString::new(name.to_vec()) else {
        return Vec::new();
    };
    // SAFETY: c is NUL-terminated; the hostent is read before any other
    // resolver call on this thread.
    unsafe {
        let h = gethostbyname(c.as_ptr());
        if h.is_null() {
            return Vec::new();
        }
        cstr_list((*h).h_aliases)
    }
}

/// stock's rsock_make_hostent: [name, aliases, family, address...], each
/// address made by `addr`.
pub(crate) fn make_hostent(
    ruby: &Ruby,
    host: Value,
    list: &[AddrInfo],
    addr: impl Fn(&[u8]) -> Result<Value, Error>,
) -> Result<RArray, Error> {
    let first = &list[0];
    let out = ruby.ary_new();
    let name = match &first.canonname {
        Some(c) => c.clone(),
        None => resolution::host_str(ruby, host)?
            .node
            .map(|n| n.to_vec())
            .unwrap_or_default(),
    };
    out.push(ruby.str_from_slice(&name))?;
    let names = ruby.ary_new();
    if let Some(c) = &first.canonname {
        if c.len() < libc::NI_MAXHOST as usize {
            for a in host_aliases(c) {
                names.push(ruby.str_from_slice(&a))?;
            }
        }
    }
    out.push(names)?;
    out.push(first.family)?;
    for ai in list {
        out.push(addr(&ai.addr)?)?;
    }
    Ok(out)
}

/// The lookup behind Socket.gethostbyname and TCPSocket.gethostbyname:
/// stream addresses of any family, with the canonical name.
pub(crate) fn hostent_lookup(ruby: &Ruby, host: Value) -> Result<Vec<AddrInfo>, Error> {
    let hints = Hints {
        family: libc::AF_UNSPEC,
        socktype: libc::SOCK_STREAM,
        protocol: 0,
        flags: libc::AI_CANONNAME,
    };
    resolution::getaddrinfo(ruby, host, ruby.qnil().as_value(), hints, true, None)
}

/// Socket.gethostbyname(host) (deprecated): addresses as packed bytes.
fn s_gethostbyname(ruby: &Ruby, host: Value) -> Result<RArray, Error> {
    warn(c"Socket.gethostbyname is deprecated; use Addrinfo.getaddrinfo instead.")?;
    let list = hostent_lookup(ruby, host)?;
    make_hostent(ruby, host, &list, |sa| {
        let bytes = match sockaddr::family(sa) {
            libc::AF_INET => sa.get(4..8),
            libc::AF_INET6 => sa.get(8..24),
            f => {
                return Err(errors::socket_error(
                    ruby,
                    format!("unknown socket family:{f}"),
                ))
            }
        };
        Ok(ruby.str_from_slice(bytes.unwrap_or(&[])).as_value())
    })
}

/// Socket.gethostbyaddr(addr [, family]) (deprecated).
fn s_gethostbyaddr(ruby: &Ruby, args: &[Value]) -> Result<RArray, Error> {
    warn(c"Socket.gethostbyaddr is deprecated; use Addrinfo#getnameinfo instead.")?;
    let ([addr], [family]) = positional::<1, 1>(ruby, args)?;
    let addr = string_value(addr)?;
    // SAFETY: copied at once.
    let bytes = unsafe { addr.as_slice() }.to_vec();
    let family = match family {
        Some(f) if !f.is_nil() => family_arg(ruby, f)?,
        _ if bytes.len() == 16 => libc::AF_INET6,
        _ => libc::AF_INET,
    };
    // SAFETY: gethostbyaddr reads len bytes of addr; its static result is
    // copied out before any other resolver call on this thread.
    let (name, aliases, addrtype, addrs) = unsafe {
        let h = gethostbyaddr(
            bytes.as_ptr().cast(),
            bytes.len() as libc::socklen_t,
            family,
        );
        if h.is_null() {
            // Stock's build has no HAVE_HSTRERROR, so it never says more.
            return Err(errors::socket_error(ruby, "host not found"));
        }
        let h = &*h;
        let mut addrs = Vec::new();
        let mut p = h.h_addr_list;
        while !p.is_null() && !(*p).is_null() {
            addrs.push(std::slice::from_raw_parts((*p).cast::<u8>(), h.h_length as usize).to_vec());
            p = p.add(1);
        }
        (
            std::ffi::CStr::from_ptr(h.h_name).to_bytes().to_vec(),
            cstr_list(h.h_aliases),
            h.h_addrtype,
            addrs,
        )
    };
    let out = ruby.ary_new();
    out.push(ruby.str_from_slice(&name))?;
    let names = ruby.ary_new();
    for a in aliases {
        names.push(ruby.str_from_slice(&a))?;
    }
    out.push(names)?;
    out.push(addrtype)?;
    for a in addrs {
        out.push(ruby.str_from_slice(&a))?;
    }
    Ok(out)
}

/// The protocol name of getservbyname/getservbyport: "tcp" unless given
/// (StringValueCStr'd: no NUL bytes).
fn proto_name(proto: Option<Value>) -> Result<Vec<u8>, Error> {
    match proto {
        Some(p) if !p.is_nil() => {
            let s = string_value_cstr(p)?;
            // SAFETY: copied at once.
            Ok(unsafe { s.as_slice() }.to_vec())
        }
        _ => Ok(b"tcp".to_vec()),
    }
}

/// Socket.getservbyname(service [, proto]) -> port
fn s_getservbyname(ruby: &Ruby, args: &[Value]) -> Result<i64, Error> {
    let ([service], [proto]) = positional::<1, 1>(ruby, args)?;
    let service = string_value(service)?;
    let proto = match proto {
        Some(p) if !p.is_nil() => Some(string_value(p)?),
        _ => None,
    };
    let service = string_value_cstr(service.as_value())?;
    let proto = proto_name(proto.map(|p| p.as_value()))?;
    // SAFETY: copied at once.
    let name =
        std::ffi::CString::new(unsafe { service.as_slice() }.to_vec()).expect("checked for NUL");
    let cproto = std::ffi::CString::new(proto.clone()).expect("checked for NUL");
    match resolve_core::service_port(&name, &cproto) {
        Some(port) => Ok(port as i64),
        None => {
            let mut msg = b"no such service ".to_vec();
            msg.extend_from_slice(name.as_bytes());
            msg.push(b'/');
            msg.extend_from_slice(&proto);
            Err(errors::socket_error_bytes(ruby, &msg))
        }
    }
}

/// Socket.getservbyport(port [, proto]) -> service name
fn s_getservbyport(ruby: &Ruby, args: &[Value]) -> Result<RString, Error> {
    let ([port], [proto]) = positional::<1, 1>(ruby, args)?;
    let port = num2long(port)?;
    if port != port as u16 as i64 {
        let s = if port > 0 { "big" } else { "small" };
        return Err(errors::range_error(
            ruby,
            format!("integer {port} too {s} to convert into `int16_t'"),
        ));
    }
    let proto = proto_name(proto)?;
    let cproto = std::ffi::CString::new(proto.clone()).expect("checked for NUL");
    match resolve_core::service_name(port as u16, &cproto) {
        Some(name) => Ok(ruby.str_from_slice(&name)),
        None => {
            let mut msg = format!("no such service for port {port}/").into_bytes();
            msg.extend_from_slice(&proto);
            Err(errors::socket_error_bytes(ruby, &msg))
        }
    }
}

/// Socket.sockaddr_in(port, host) / pack_sockaddr_in
fn s_pack_sockaddr_in(ruby: &Ruby, port: Value, host: Value) -> Result<RString, Error> {
    // The common numeric case, answered as stock's numeric_getaddrinfo
    // would (its first result) without the general path's bookkeeping.
    if let (Some(h), Some(p)) = (RString::from_value(host), magnus::Fixnum::from_value(port)) {
        if let Ok(p) = u16::try_from(p.to_isize()) {
            // SAFETY: the bytes are read before any other Ruby call.
            let node = unsafe { h.as_slice() };
            if !node.is_empty() && !node.contains(&0) {
                if let Some((_, sa)) = resolve_core::numeric_sockaddr(node, p, libc::AF_UNSPEC) {
                    return Ok(ruby.str_from_slice(&sa));
                }
            }
        }
    }
    let list = resolution::getaddrinfo(ruby, host, port, Hints::default(), true, None)?;
    Ok(ruby.str_from_slice(&list[0].addr))
}

fn too_short(ruby: &Ruby) -> Error {
    errors::argument_error(ruby, "too short sockaddr")
}

/// Socket.unpack_sockaddr_in(sockaddr) -> [port, ip_address]
fn s_unpack_sockaddr_in(ruby: &Ruby, addr: Value) -> Result<RArray, Error> {
    let s = match RString::from_value(addr) {
        Some(s) => s,
        None => sockaddr_arg(ruby, addr)?,
    };
    // SAFETY: the slice is used before any other Ruby call.
    let sa = unsafe { s.as_slice() };
    if sa.len() < 2 {
        return Err(too_short(ruby));
    }
    let family = sockaddr::family(sa);
    if family != libc::AF_INET && family != libc::AF_INET6 {
        return Err(errors::argument_error(
            ruby,
            "not an AF_INET/AF_INET6 sockaddr",
        ));
    }
    let host = match sockaddr::numeric_host(sa) {
        Ok(h) => h,
        Err(code) => {
            return Err(resolution::gai_error(
                ruby,
                "getnameinfo",
                resolve_core::GaiError::new(code),
            ))
        }
    };
    let port = ruby.integer_from_i64(sockaddr::port(sa).unwrap_or(0) as i64);
    Ok(ruby.ary_new_from_values(&[
        port.as_value(),
        ruby.str_from_slice(host.as_bytes()).as_value(),
    ]))
}

/// Socket.sockaddr_un(path) / pack_sockaddr_un
fn s_pack_sockaddr_un(ruby: &Ruby, path: Value) -> Result<RString, Error> {
    let path = string_value(path)?;
    // SAFETY: copied at once.
    let bytes = unsafe { path.as_slice() };
    let mut buf = [0u8; sockaddr::SOCKADDR_UN_LEN];
    match sockaddr::sockaddr_un_into(bytes, &mut buf) {
        Ok(len) => Ok(ruby.str_from_slice(&buf[..len])),
        Err(sockaddr::UnixPathError::TooLong { given, max }) => Err(errors::argument_error(
            ruby,
            format!("too long unix socket path ({given} bytes given but {max} bytes max)"),
        )),
    }
}

/// Socket.unpack_sockaddr_un(sockaddr) -> path
fn s_unpack_sockaddr_un(ruby: &Ruby, addr: Value) -> Result<RString, Error> {
    let s = sockaddr_arg(ruby, addr)?;
    // SAFETY: the slice is used before any other Ruby call.
    let sa = unsafe { s.as_slice() };
    if sa.len() < 2 {
        return Err(too_short(ruby));
    }
    if sockaddr::family(sa) != libc::AF_UNIX {
        return Err(errors::argument_error(ruby, "not an AF_UNIX sockaddr"));
    }
    if sa.len() > sockaddr::SOCKADDR_UN_LEN {
        return Err(errors::type_error(
            ruby,
            format!(
                "too long sockaddr_un - {} longer than {}",
                sa.len(),
                sockaddr::SOCKADDR_UN_LEN
            ),
        ));
    }
    // The path is copied into the new String straight from `s`, which stays
    // referenced from this frame meanwhile.
    Ok(ruby.str_from_slice(sockaddr::unix_path(sa).unwrap_or(&[])))
}

//! Addrinfo: a socket address with its protocol family, socket type and
//! protocol, as stock's raddrinfo.c. Resolution itself lives in
//! ruby/resolution.rs, shared with the Socket class methods.

use crate::convert::{
    self, check_arity, family_arg, num2int, socktype_arg, string_value, string_value_cstr,
};
use crate::core::constants::{self, Category};
use crate::core::resolve::{self, AddrInfo, GaiError, Hints};
use crate::core::sockaddr::{self, ADDRINFO_MAX};
use crate::errors;
use crate::ruby::resolution::{
    check_array, convert_ary, gai_error, getaddrinfo, getnameinfo_blocking, hints_from,
    hosts_file_families, numeric_nameinfo,
};
use magnus::{
    function, gc, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::{LazyId, Opaque},
    DataTypeFunctions, Error, RArray, RClass, RString, Ruby, TypedData, Value,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// stock's rb_addrinfo_t. Stock keeps the sockaddr in a zero-filled
/// union_sockaddr and its predicates read fixed offsets regardless of the
/// length; `byte` gives the same view of the exact-length copy kept here.
#[derive(Clone)]
struct Rai {
    addr: Vec<u8>,
    len: usize,
    pfamily: i32,
    socktype: i32,
    protocol: i32,
    canonname: Option<Opaque<Value>>,
    inspectname: Option<Opaque<Value>>,
}

impl Rai {
    fn zeroed() -> Self {
        Rai {
            addr: Vec::new(),
            len: 0,
            pfamily: 0,
            socktype: 0,
            protocol: 0,
            canonname: None,
            inspectname: None,
        }
    }

    /// Everything but the address (cheap to copy).
    fn clone_fields(&self) -> Rai {
        Rai {
            addr: Vec::new(),
            len: 0,
            pfamily: self.pfamily,
            socktype: self.socktype,
            protocol: self.protocol,
            canonname: self.canonname,
            inspectname: self.inspectname,
        }
    }

    fn sa(&self) -> &[u8] {
        &self.addr[..self.len]
    }

    fn afamily(&self) -> i32 {
        sockaddr::family(self.sa())
    }

    /// Byte `i` of the zero-filled union_sockaddr stock would hold.
    fn byte(&self, i: usize) -> u8 {
        self.addr.get(i).copied().unwrap_or(0)
    }

    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        std::array::from_fn(|i| self.byte(at + i))
    }
}

/// The Ruby object: uninitialized until initialize or marshal_load sets its
/// Rai, once (a second call is "already initialized", as stock). Never
/// changed after that, it is read without a lock, from any Ractor once the
/// object is frozen and shared (Ractor.make_shareable, as Ruby 4.0 allows).
#[derive(Default, TypedData)]
#[magnus(class = "Addrinfo", free_immediately, size, mark, frozen_shareable)]
pub struct Addrinfo {
    rai: OnceLock<Rai>,
    /// initialize has begun: the object counts as initialized from then on,
    /// as stock's (all zero if initialize raises).
    started: AtomicBool,
}

impl Addrinfo {
    fn new(rai: Rai) -> Self {
        Addrinfo {
            rai: OnceLock::from(rai),
            started: AtomicBool::new(true),
        }
    }

    fn get(&self) -> Option<&Rai> {
        self.rai.get()
    }

    /// Claims the object for initialize or marshal_load; TypeError when it
    /// is initialized (or being initialized) already.
    fn claim(&self, ruby: &Ruby) -> Result<(), Error> {
        if self.started.swap(true, Ordering::AcqRel) || self.rai.get().is_some() {
            return Err(errors::type_error(
                ruby,
                "already initialized socket address",
            ));
        }
        Ok(())
    }
}

impl DataTypeFunctions for Addrinfo {
    /// ObjectSpace.memsize_of: the struct and the sockaddr it holds.
    fn size(&self) -> usize {
        let heap = self.get().map_or(0, |r| r.addr.capacity());
        std::mem::size_of::<Self>() + heap
    }

    fn mark(&self, marker: &gc::Marker) {
        if let Some(rai) = self.get() {
            if let Some(v) = rai.canonname {
                marker.mark(v);
            }
            if let Some(v) = rai.inspectname {
                marker.mark(v);
            }
        }
    }
}

pub fn init(ruby: &Ruby) -> Result<RClass, Error> {
    let class = ruby.define_class("Addrinfo", ruby.class_object())?;
    class.define_alloc_func::<Addrinfo>();
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("getaddrinfo", function!(s_getaddrinfo, -1))?;
    class.define_singleton_method("ip", function!(s_ip, 1))?;
    class.define_singleton_method("tcp", function!(s_tcp, 2))?;
    class.define_singleton_method("udp", function!(s_udp, 2))?;
    class.define_singleton_method("unix", function!(s_unix, -1))?;
    class.define_method("inspect", method!(inspect, 0))?;
    class.define_method("inspect_sockaddr", method!(inspect_sockaddr, 0))?;
    class.define_method("afamily", method!(afamily, 0))?;
    class.define_method("pfamily", method!(pfamily, 0))?;
    class.define_method("socktype", method!(socktype, 0))?;
    class.define_method("protocol", method!(protocol, 0))?;
    class.define_method("canonname", method!(canonname, 0))?;
    class.define_method("ipv4?", method!(ipv4_p, 0))?;
    class.define_method("ipv6?", method!(ipv6_p, 0))?;
    class.define_method("unix?", method!(unix_p, 0))?;
    class.define_method("ip?", method!(ip_p, 0))?;
    class.define_method("ip_unpack", method!(ip_unpack, 0))?;
    class.define_method("ip_address", method!(ip_address, 0))?;
    class.define_method("ip_port", method!(ip_port, 0))?;
    class.define_method("ipv4_private?", method!(ipv4_private_p, 0))?;
    class.define_method("ipv4_loopback?", method!(ipv4_loopback_p, 0))?;
    class.define_method("ipv4_multicast?", method!(ipv4_multicast_p, 0))?;
    class.define_method("ipv6_unspecified?", method!(ipv6_unspecified_p, 0))?;
    class.define_method("ipv6_loopback?", method!(ipv6_loopback_p, 0))?;
    class.define_method("ipv6_multicast?", method!(ipv6_multicast_p, 0))?;
    class.define_method("ipv6_linklocal?", method!(ipv6_linklocal_p, 0))?;
    class.define_method("ipv6_sitelocal?", method!(ipv6_sitelocal_p, 0))?;
    class.define_method("ipv6_unique_local?", method!(ipv6_unique_local_p, 0))?;
    class.define_method("ipv6_v4mapped?", method!(ipv6_v4mapped_p, 0))?;
    class.define_method("ipv6_v4compat?", method!(ipv6_v4compat_p, 0))?;
    class.define_method("ipv6_mc_nodelocal?", method!(ipv6_mc_nodelocal_p, 0))?;
    class.define_method("ipv6_mc_linklocal?", method!(ipv6_mc_linklocal_p, 0))?;
    class.define_method("ipv6_mc_sitelocal?", method!(ipv6_mc_sitelocal_p, 0))?;
    class.define_method("ipv6_mc_orglocal?", method!(ipv6_mc_orglocal_p, 0))?;
    class.define_method("ipv6_mc_global?", method!(ipv6_mc_global_p, 0))?;
    class.define_method("ipv6_to_ipv4", method!(ipv6_to_ipv4, 0))?;
    class.define_method("unix_path", method!(unix_path, 0))?;
    class.define_method("to_sockaddr", method!(to_sockaddr, 0))?;
    class.define_method("to_s", method!(to_sockaddr, 0))?;
    class.define_method("getnameinfo", method!(getnameinfo, -1))?;
    class.define_method("marshal_dump", method!(marshal_dump, 0))?;
    class.define_method("marshal_load", method!(marshal_load, 1))?;
    // For lib/socket_rs/happy_eyeballs.rb: which families of a name
    // /etc/hosts answers, so that those lookups are made in place.
    let singleton = class.singleton_class()?;
    singleton
        .define_private_method("__hosts_file_families", function!(s_hosts_file_families, 1))?;
    // Addrinfo.getaddrinfo as this library defines it, for the lookups of
    // TCPSocket's Happy Eyeballs (unaffected by a redefinition) and to tell
    // whether it was redefined; a method, not an UnboundMethod constant,
    // which a non-main Ractor could not read.
    singleton.define_private_method("__native_getaddrinfo", function!(s_getaddrinfo, -1))?;
    Ok(class)
}

/// Addrinfo.__hosts_file_families(host): resolution::hosts_file_families
/// as an Array, for lib/socket_rs/happy_eyeballs.rb.
fn s_hosts_file_families(ruby: &Ruby, host: Value) -> RArray {
    ruby.ary_from_vec(hosts_file_families(host))
}

// ---------------------------------------------------------------------------
// Building Addrinfo objects

fn new_object(ruby: &Ruby, rai: Rai) -> Value {
    ruby.obj_wrap(Addrinfo::new(rai)).as_value()
}

fn rai_from<S: AsRef<[u8]> + Into<Vec<u8>>>(
    ruby: &Ruby,
    sa: S,
    pfamily: i32,
    socktype: i32,
    protocol: i32,
    canonname: Option<Value>,
    inspectname: Option<Value>,
) -> Result<Rai, Error> {
    let len = sa.as_ref().len();
    if len > ADDRINFO_MAX {
        return Err(errors::sockaddr_too_big(ruby));
    }
    let mut rai = Rai::zeroed();
    rai.addr = sa.into();
    rai.len = len;
    rai.pfamily = pfamily;
    rai.socktype = socktype;
    rai.protocol = protocol;
    rai.canonname = canonname.map(Opaque::from);
    rai.inspectname = inspectname.map(Opaque::from);
    Ok(rai)
}

/// An Addrinfo for a sockaddr the system handed back (accept, getsockname,
/// recvfrom...), as stock's rsock_addrinfo_new with no canonname or
/// inspectname.
pub fn from_sockaddr(
    ruby: &Ruby,
    sockaddr: &[u8],
    pfamily: i32,
    socktype: i32,
    protocol: i32,
) -> Result<Value, Error> {
    let rai = rai_from(ruby, sockaddr, pfamily, socktype, protocol, None, None)?;
    Ok(new_object(ruby, rai))
}

/// An Addrinfo from a resolver result, with stock's inspectname.
fn from_ai(ruby: &Ruby, ai: &AddrInfo, inspectname: Option<Value>) -> Result<Value, Error> {
    Ok(new_object(ruby, rai_of(ruby, ai, inspectname)?))
}

/// The Rai of a resolver result (its canonical name frozen, as stock's).
fn rai_of(ruby: &Ruby, ai: &AddrInfo, inspectname: Option<Value>) -> Result<Rai, Error> {
    let canonname = ai.canonname.as_ref().map(|c| frozen_str(ruby, c));
    rai_from(
        ruby,
        &ai.addr[..],
        ai.family,
        ai.socktype,
        ai.protocol,
        canonname,
        inspectname,
    )
}

fn frozen_str(ruby: &Ruby, bytes: &[u8]) -> Value {
    let s = ruby.str_from_slice(bytes);
    s.freeze();
    s.as_value()
}

fn with_rai<T>(ruby: &Ruby, rb_self: Value, f: impl FnOnce(&Rai) -> T) -> Result<T, Error> {
    let obj = <&Addrinfo>::try_convert(rb_self)?;
    match obj.get() {
        Some(rai) => Ok(f(rai)),
        None => Err(errors::type_error(ruby, "uninitialized socket address")),
    }
}

/// The packed sockaddr of an Addrinfo, or None for other objects (for
/// callers that accept "a sockaddr String or an Addrinfo").
pub fn sockaddr_of(ruby: &Ruby, value: Value) -> Result<Option<Vec<u8>>, Error> {
    // A class test first: a failed try_convert builds an exception.
    if !value.is_kind_of(<Addrinfo as TypedData>::class(ruby))
        || <&Addrinfo>::try_convert(value).is_err()
    {
        return Ok(None);
    }
    with_rai(ruby, value, |r| r.sa().to_vec()).map(Some)
}

/// stock's call_getaddrinfo: hints from Ruby values (family, socktype,
/// protocol, flags coerced in that order), then rsock_getaddrinfo.
#[allow(clippy::too_many_arguments)]
fn call_getaddrinfo(
    ruby: &Ruby,
    node: Value,
    service: Value,
    family: Value,
    socktype: Value,
    protocol: Value,
    flags: Value,
    socktype_hack: bool,
    timeout: Option<f64>,
) -> Result<(Hints, Vec<AddrInfo>), Error> {
    let hints = hints_from(ruby, family, socktype, protocol, flags)?;
    let list = getaddrinfo(ruby, node, service, hints, socktype_hack, timeout)?;
    Ok((hints, list))
}

/// stock's make_inspectname: the node and service as the caller wrote them,
/// minus what the address part of inspect already shows.
fn make_inspectname(
    ruby: &Ruby,
    node: Value,
    service: Value,
    first: Option<&AddrInfo>,
) -> Result<Option<Value>, Error> {
    let mut node = RString::from_value(node);
    let mut service_str = RString::from_value(service);
    let mut service_fix = magnus::Fixnum::from_value(service);
    if let Some(ai) = first {
        if let Ok((h, p)) = resolve::getnameinfo(&ai.addr, resolve::NUMERIC) {
            // SAFETY: compared at once, no Ruby call in between.
            if node.is_some_and(|n| cstr_eq(unsafe { n.as_slice() }, &h)) {
                node = None;
            }
            if let Some(s) = service_str {
                // SAFETY: compared at once, no Ruby call in between.
                if cstr_eq(unsafe { s.as_slice() }, &p) {
                    service_str = None;
                }
            } else if let Some(f) = service_fix {
                if atoi(&p) == num2int(f.as_value())? {
                    service_fix = None;
                }
            }
        }
    }
    // SAFETY: rb_str_dup copies a String; it does not raise.
    let mut name: Option<RString> = node.map(|n| unsafe {
        RString::from_value(Value::from_raw(rb_sys::rb_str_dup(n.as_raw()))).expect("a String")
    });
    let suffix = if let Some(s) = service_str {
        let s = string_value_cstr(s.as_value())?;
        let mut v = b":".to_vec();
        // SAFETY: copied at once.
        v.extend_from_slice(unsafe { s.as_slice() });
        Some(v)
    } else {
        match service_fix {
            Some(f) if num2int(f.as_value())? != 0 => {
                Some(format!(":{}", num2int(f.as_value())?).into_bytes())
            }
            _ => None,
        }
    };
    if let Some(suffix) = suffix {
        match &name {
            Some(n) => n.cat(&suffix),
            None => name = Some(ruby.str_from_slice(&suffix)),
        }
    }
    Ok(name.map(|n| {
        n.freeze();
        n.as_value()
    }))
}

/// strcmp(a, b) == 0 for a Ruby string (up to a NUL) against C bytes.
fn cstr_eq(ruby_bytes: &[u8], c: &[u8]) -> bool {
    let end = ruby_bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(ruby_bytes.len());
    &ruby_bytes[..end] == c
}

/// atoi(3).
fn atoi(b: &[u8]) -> i32 {
    let s = std::str::from_utf8(b).unwrap_or("").trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        v = (v * 10 + (c - b'0') as i64).min(i64::from(u32::MAX));
    }
    (if neg { -v } else { v }) as i32
}

// ---------------------------------------------------------------------------
// Constructors

/// Addrinfo.new(sockaddr [, family [, socktype [, protocol]]]), where
/// sockaddr is a packed String or an [afamily, port, host, numeric_host] /
/// ["AF_UNIX", path] array.
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let obj = <&Addrinfo>::try_convert(rb_self)?;
    obj.claim(ruby)?;
    // As stock: the object counts as initialized (all zero) from here on.
    let (rai, result) = match new_rai(ruby, args) {
        Ok(rai) => (rai, Ok(rb_self)),
        Err(e) => (Rai::zeroed(), Err(e)),
    };
    let _ = obj.rai.set(rai);
    result
}

/// The Rai Addrinfo.new's arguments describe.
fn new_rai(ruby: &Ruby, args: &[Value]) -> Result<Rai, Error> {
    check_arity(ruby, args.len(), 1, 4)?;
    let sockaddr_arg = args[0];
    let (pf, st, pr) = (
        args.get(1).copied(),
        args.get(2).copied(),
        args.get(3).copied(),
    );
    let pfamily = match pf {
        Some(v) if !v.is_nil() => family_arg(ruby, v)?,
        _ => 0,
    };
    let socktype = match st {
        Some(v) if !v.is_nil() => socktype_arg(ruby, v)?,
        _ => 0,
    };
    let protocol = match pr {
        Some(v) if !v.is_nil() => num2int(v)?,
        _ => 0,
    };
    let rai = if let Some(ary) = check_array(sockaddr_arg)? {
        let afamily = string_value(ary.entry::<Value>(0)?)?;
        // SAFETY: copied at once.
        let name = unsafe { afamily.as_slice() }.to_vec();
        let af = match constants::name_to_int(Category::Family, &name) {
            Some(af) => af as i32,
            None => {
                let shown = string_value_cstr(afamily.as_value())?;
                let mut msg = b"unknown address family: ".to_vec();
                // SAFETY: copied at once.
                msg.extend_from_slice(unsafe { shown.as_slice() });
                return Err(errors::socket_error_bytes(ruby, &msg));
            }
        };
        match af {
            libc::AF_INET | libc::AF_INET6 => {
                let service = ary.entry::<Value>(1)?;
                let service = ruby.integer_from_i64(num2int(service)? as i64).as_value();
                let nodename = ary.entry::<Value>(2)?;
                let nodename = if nodename.is_nil() {
                    nodename
                } else {
                    string_value(nodename)?.as_value()
                };
                let numeric = string_value(ary.entry::<Value>(3)?)?.as_value();
                let family = if pfamily != 0 { pfamily } else { af };
                let hints = Hints {
                    family,
                    socktype,
                    protocol,
                    flags: libc::AI_NUMERICHOST | libc::AI_NUMERICSERV,
                };
                let list = getaddrinfo(ruby, numeric, service, hints, true, None)?;
                let same = RString::from_value(nodename)
                    // SAFETY: both compared at once.
                    .is_some_and(|n| unsafe {
                        rb_sys::rb_str_equal(numeric.as_raw(), n.as_raw()) == rb_sys::Qtrue as _
                    });
                let inspectname = if same {
                    None
                } else {
                    make_inspectname(ruby, nodename, service, list.first())?
                };
                let ai = &list[0];
                let canonname = ai.canonname.as_ref().map(|c| frozen_str(ruby, c));
                rai_from(
                    ruby,
                    &ai.addr[..],
                    family,
                    socktype,
                    protocol,
                    canonname,
                    inspectname,
                )?
            }
            libc::AF_UNIX => {
                let path = string_value(ary.entry::<Value>(1)?)?;
                unix_rai(ruby, path, libc::SOCK_STREAM)?
            }
            _ => return Err(errors::socket_error(ruby, "unexpected address family")),
        }
    } else {
        let s = string_value(sockaddr_arg)?;
        rai_from(
            ruby,
            // SAFETY: copied into the Rai at once.
            unsafe { s.as_slice() },
            pfamily,
            socktype,
            protocol,
            None,
            None,
        )?
    };
    Ok(rai)
}

/// init_unix_addrinfo.
fn unix_rai(ruby: &Ruby, path: RString, socktype: i32) -> Result<Rai, Error> {
    // SAFETY: copied at once.
    let bytes = unsafe { path.as_slice() }.to_vec();
    let sa = sockaddr::sockaddr_un(&bytes).map_err(
        |sockaddr::UnixPathError::TooLong { given, max }| {
            errors::argument_error(
                ruby,
                format!("too long unix socket path ({given} bytes given but {max} bytes max)"),
            )
        },
    )?;
    rai_from(ruby, sa, libc::AF_UNIX, socktype, 0, None, None)
}

/// Splits off the keyword hash when the caller passed keywords, and reads
/// `timeout:` (Ruby 3.3+) from it; other keywords are rejected as Ruby does.
fn timeout_kwarg<'a>(ruby: &Ruby, args: &'a [Value]) -> Result<(&'a [Value], Option<f64>), Error> {
    let (args, keywords) = convert::split_keywords(args);
    let Some(hash) = keywords else {
        return Ok((args, None));
    };
    let [timeout] = convert::optional_keywords(ruby, hash, &[&TIMEOUT])?;
    let timeout = match timeout {
        Some(v) if !v.is_nil() => Some(f64::try_convert(v)?),
        _ => None,
    };
    Ok((args, timeout))
}

static TIMEOUT: LazyId = LazyId::new("timeout");

/// Addrinfo.getaddrinfo(node, service [, family, socktype, protocol, flags], timeout: nil)
fn s_getaddrinfo(ruby: &Ruby, args: &[Value]) -> Result<RArray, Error> {
    let (args, timeout) = timeout_kwarg(ruby, args)?;
    check_arity(ruby, args.len(), 2, 6)?;
    let nil = ruby.qnil().as_value();
    let arg = |i: usize| args.get(i).copied().unwrap_or(nil);
    let (node, service) = (args[0], args[1]);
    let (_, list) = call_getaddrinfo(
        ruby,
        node,
        service,
        arg(2),
        arg(3),
        arg(4),
        arg(5),
        false,
        timeout,
    )?;
    new_list(ruby, node, service, &list)
}

/// The Addrinfo objects of a resolver answer for `node` and `service`, as
/// Addrinfo.getaddrinfo returns them.
pub fn new_list(
    ruby: &Ruby,
    node: Value,
    service: Value,
    list: &[AddrInfo],
) -> Result<RArray, Error> {
    let inspectname = make_inspectname(ruby, node, service, list.first())?;
    // Straight into a Ruby Array: a Rust Vec on the heap would hide the new
    // objects from the GC.
    let values = ruby.ary_new_capa(list.len());
    for ai in list {
        values.push(from_ai(ruby, ai, inspectname)?)?;
    }
    Ok(values)
}

/// addrinfo_firstonly_new.
fn first_only(
    ruby: &Ruby,
    node: Value,
    service: Value,
    socktype: i32,
    protocol: i32,
) -> Result<Rai, Error> {
    let hints = Hints {
        family: 0,
        socktype,
        protocol,
        flags: 0,
    };
    let list = getaddrinfo(ruby, node, service, hints, false, None)?;
    let ai = &list[0];
    let inspectname = make_inspectname(ruby, node, service, Some(ai))?;
    rai_of(ruby, ai, inspectname)
}

/// Addrinfo.tcp(host, port)
fn s_tcp(ruby: &Ruby, host: Value, port: Value) -> Result<Value, Error> {
    let rai = first_only(ruby, host, port, libc::SOCK_STREAM, libc::IPPROTO_TCP)?;
    Ok(new_object(ruby, rai))
}

/// Addrinfo.udp(host, port)
fn s_udp(ruby: &Ruby, host: Value, port: Value) -> Result<Value, Error> {
    let rai = first_only(ruby, host, port, libc::SOCK_DGRAM, libc::IPPROTO_UDP)?;
    Ok(new_object(ruby, rai))
}

/// Addrinfo.ip(host): the first address, with socktype and protocol 0.
fn s_ip(ruby: &Ruby, host: Value) -> Result<Value, Error> {
    let mut rai = first_only(ruby, host, ruby.qnil().as_value(), 0, 0)?;
    rai.socktype = 0;
    rai.protocol = 0;
    Ok(new_object(ruby, rai))
}

/// Addrinfo.unix(path [, socktype])
fn s_unix(ruby: &Ruby, args: &[Value]) -> Result<Value, Error> {
    check_arity(ruby, args.len(), 1, 2)?;
    let socktype = match args.get(1) {
        Some(v) if !v.is_nil() => socktype_arg(ruby, *v)?,
        _ => libc::SOCK_STREAM,
    };
    let path = string_value(args[0])?;
    let rai = unix_rai(ruby, path, socktype)?;
    Ok(new_object(ruby, rai))
}

// ---------------------------------------------------------------------------
// Inspection

/// The constant names Addrinfo uses most, checked before the linear
/// search of the constants table (Marshal and inspect are hot paths).
const COMMON_NAMES: &[(Category, i32, &str)] = &[
    (Category::Family, libc::AF_INET, "AF_INET"),
    (Category::Family, libc::AF_INET6, "AF_INET6"),
    (Category::Family, libc::AF_UNIX, "AF_UNIX"),
    (Category::Family, libc::AF_UNSPEC, "AF_UNSPEC"),
    (Category::SockType, libc::SOCK_STREAM, "SOCK_STREAM"),
    (Category::SockType, libc::SOCK_DGRAM, "SOCK_DGRAM"),
    (Category::SockType, libc::SOCK_RAW, "SOCK_RAW"),
    (Category::IpProto, libc::IPPROTO_TCP, "IPPROTO_TCP"),
    (Category::IpProto, libc::IPPROTO_UDP, "IPPROTO_UDP"),
];

fn const_name(category: Category, value: i32) -> Option<&'static str> {
    COMMON_NAMES
        .iter()
        .find(|(c, v, _)| *c == category && *v == value)
        .map(|(_, _, n)| *n)
        .or_else(|| constants::int_to_name(category, value as i64))
}

fn const_value(category: Category, name: &[u8]) -> Option<i32> {
    let family_pf = |(c, _, n): &&(Category, i32, &str)| {
        *c == Category::Family
            && n.strip_prefix("AF_")
                .is_some_and(|rest| name.strip_prefix(b"PF_") == Some(rest.as_bytes()))
    };
    COMMON_NAMES
        .iter()
        .find(|e| {
            (e.0 == category && e.2.as_bytes() == name)
                || (category == Category::Family && family_pf(e))
        })
        .map(|e| e.1)
        .or_else(|| constants::name_to_int(category, name).map(|v| v as i32))
}

/// stock's rsock_intern_protocol_family: the PF_ twin of the family's
/// preferred AF_ name (PF_UNIX for 1, PF_ROUTE for 16).
fn protocol_family_name(pf: i32) -> Option<String> {
    let af = const_name(Category::Family, pf)?;
    Some(format!(
        "PF_{}",
        af.strip_prefix("AF_").or_else(|| af.strip_prefix("PF_"))?
    ))
}

fn inspect_into(ruby: &Ruby, rai: &Rai, out: &mut Vec<u8>) -> Result<(), Error> {
    sockaddr::inspect(rai.sa(), out)
        .map_err(|code| gai_error(ruby, "getnameinfo", GaiError::new(code)))
}

/// Addrinfo#inspect, as stock's addrinfo_inspect.
fn inspect(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"#<");
    // SAFETY: rb_obj_classname returns the class path as a C string.
    let cname = unsafe { std::ffi::CStr::from_ptr(rb_sys::rb_obj_classname(rb_self.as_raw())) };
    out.extend_from_slice(cname.to_bytes());
    out.extend_from_slice(b": ");
    // The address is formatted under the borrow (pure Rust); what follows
    // may call Ruby, so it works on a copy of the few fields it needs.
    let rai = with_rai(ruby, rb_self, |r| {
        (
            sockaddr::inspect(r.sa(), &mut out),
            r.clone_fields(),
            r.afamily(),
        )
    })?;
    let (formatted, rai, afamily) = rai;
    formatted.map_err(|code| gai_error(ruby, "getnameinfo", GaiError::new(code)))?;
    let mut s = String::with_capacity(32);
    use std::fmt::Write as _;
    if rai.pfamily != 0 && afamily != rai.pfamily {
        match protocol_family_name(rai.pfamily) {
            Some(n) => {
                let _ = write!(s, " {n}");
            }
            None => {
                let _ = write!(s, " PF_???({})", rai.pfamily);
            }
        }
    }
    let internet = rai.pfamily == libc::PF_INET || rai.pfamily == libc::PF_INET6;
    if internet
        && rai.socktype == libc::SOCK_STREAM
        && (rai.protocol == 0 || rai.protocol == libc::IPPROTO_TCP)
    {
        s.push_str(" TCP");
    } else if internet
        && rai.socktype == libc::SOCK_DGRAM
        && (rai.protocol == 0 || rai.protocol == libc::IPPROTO_UDP)
    {
        s.push_str(" UDP");
    } else {
        if rai.socktype != 0 {
            match const_name(Category::SockType, rai.socktype) {
                Some(n) => {
                    let _ = write!(s, " {n}");
                }
                None => {
                    let _ = write!(s, " SOCK_???({})", rai.socktype);
                }
            }
        }
        if rai.protocol != 0 {
            match internet
                .then(|| const_name(Category::IpProto, rai.protocol))
                .flatten()
            {
                Some(n) => {
                    let _ = write!(s, " {n}");
                }
                None => {
                    let _ = write!(s, " UNKNOWN_PROTOCOL({})", rai.protocol);
                }
            }
        }
    }
    out.extend_from_slice(s.as_bytes());
    if let Some(c) = rai.canonname {
        let c = string_value_cstr(ruby.get_inner(c))?;
        out.push(b' ');
        // SAFETY: copied at once.
        out.extend_from_slice(unsafe { c.as_slice() });
    }
    if let Some(n) = rai.inspectname {
        let n = string_value_cstr(ruby.get_inner(n))?;
        out.extend_from_slice(b" (");
        // SAFETY: copied at once.
        out.extend_from_slice(unsafe { n.as_slice() });
        out.push(b')');
    }
    out.push(b'>');
    Ok(ruby.str_from_slice(&out))
}

/// Addrinfo#inspect_sockaddr: the address part of inspect.
fn inspect_sockaddr(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    let mut out = Vec::with_capacity(48);
    inspect_into(ruby, &rai, &mut out)?;
    Ok(ruby.str_from_slice(&out))
}

// ---------------------------------------------------------------------------
// Accessors and predicates

fn afamily(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    with_rai(ruby, rb_self, Rai::afamily)
}

fn pfamily(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    with_rai(ruby, rb_self, |r| r.pfamily)
}

fn socktype(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    with_rai(ruby, rb_self, |r| r.socktype)
}

fn protocol(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    with_rai(ruby, rb_self, |r| r.protocol)
}

fn canonname(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let c = with_rai(ruby, rb_self, |r| r.canonname)?;
    Ok(c.map_or(ruby.qnil().as_value(), |c| ruby.get_inner(c)))
}

fn ipv4_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    with_rai(ruby, rb_self, |r| r.afamily() == libc::AF_INET)
}

fn ipv6_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    with_rai(ruby, rb_self, |r| r.afamily() == libc::AF_INET6)
}

fn unix_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    with_rai(ruby, rb_self, |r| r.afamily() == libc::AF_UNIX)
}

fn ip_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    with_rai(ruby, rb_self, |r| sockaddr::is_ip_family(r.afamily()))
}

fn need_ip(ruby: &Ruby) -> Error {
    errors::socket_error(ruby, "need IPv4 or IPv6 address")
}

/// getnameinfo of the Addrinfo's sockaddr with NI_DGRAM for datagram sockets.
fn nameinfo(ruby: &Ruby, rai: &Rai, flags: i32) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let flags = if rai.socktype == libc::SOCK_DGRAM {
        flags | libc::NI_DGRAM
    } else {
        flags
    };
    getnameinfo_blocking(ruby, rai.sa(), flags)
}

/// The numeric host and port of an IP Addrinfo; "need IPv4 or IPv6
/// address" for other families. The common case formats in place, without
/// copying the sockaddr out.
fn numeric_ip(ruby: &Ruby, rb_self: Value) -> Result<(RString, u16), Error> {
    let fast = with_rai(ruby, rb_self, |rai| {
        sockaddr::is_ip_family(rai.afamily()).then(|| sockaddr::ip_unpack(rai.sa()).ok())
    })?;
    match fast {
        None => Err(need_ip(ruby)),
        Some(Some((host, port))) => Ok((ruby.str_from_slice(host.as_bytes()), port)),
        Some(None) => {
            let rai = with_rai(ruby, rb_self, Rai::clone)?;
            numeric_nameinfo(ruby, rai.sa())
        }
    }
}

/// Addrinfo#ip_unpack -> [address, port]
fn ip_unpack(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    let (host, port) = numeric_ip(ruby, rb_self)?;
    let port = ruby.integer_from_i64(port as i64).as_value();
    Ok(ruby.ary_new_from_values(&[host.as_value(), port]))
}

/// Addrinfo#ip_address
fn ip_address(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    Ok(numeric_ip(ruby, rb_self)?.0)
}

/// Addrinfo#ip_port
fn ip_port(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    match rai.afamily() {
        libc::AF_INET if rai.len != sockaddr::SOCKADDR_IN_LEN => Err(errors::socket_error(
            ruby,
            "unexpected sockaddr size for IPv4",
        )),
        libc::AF_INET6 if rai.len != sockaddr::SOCKADDR_IN6_LEN => Err(errors::socket_error(
            ruby,
            "unexpected sockaddr size for IPv6",
        )),
        f if sockaddr::is_ip_family(f) => Ok(sockaddr::port(rai.sa()).unwrap_or(0) as i32),
        _ => Err(need_ip(ruby)),
    }
}

/// The IPv4 address (host order) of an AF_INET Addrinfo.
fn in_addr(ruby: &Ruby, rb_self: Value) -> Result<Option<u32>, Error> {
    with_rai(ruby, rb_self, |r| {
        (r.afamily() == libc::AF_INET).then(|| u32::from_be_bytes(r.bytes::<4>(4)))
    })
}

fn ipv4_private_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    Ok(in_addr(ruby, rb_self)?.is_some_and(|a| {
        (a & 0xff00_0000) == 0x0a00_0000
            || (a & 0xfff0_0000) == 0xac10_0000
            || (a & 0xffff_0000) == 0xc0a8_0000
    }))
}

fn ipv4_loopback_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    Ok(in_addr(ruby, rb_self)?.is_some_and(|a| (a & 0xff00_0000) == 0x7f00_0000))
}

fn ipv4_multicast_p(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    Ok(in_addr(ruby, rb_self)?.is_some_and(|a| (a & 0xf000_0000) == 0xe000_0000))
}

/// The 16 address bytes of an AF_INET6 Addrinfo.
fn in6_addr(ruby: &Ruby, rb_self: Value) -> Result<Option<[u8; 16]>, Error> {
    with_rai(ruby, rb_self, |r| {
        (r.afamily() == libc::AF_INET6).then(|| r.bytes::<16>(8))
    })
}

fn v4mapped(a: &[u8; 16]) -> bool {
    a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff
}

fn v4compat(a: &[u8; 16]) -> bool {
    a[..12].iter().all(|&b| b == 0) && u32::from_be_bytes([a[12], a[13], a[14], a[15]]) > 1
}

fn mc_scope(a: &[u8; 16], scope: u8) -> bool {
    a[0] == 0xff && (a[1] & 0x0f) == scope
}

type Pred = fn(&[u8; 16]) -> bool;

macro_rules! ipv6_predicate {
    ($name:ident, $test:expr) => {
        fn $name(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
            let test: Pred = $test;
            Ok(in6_addr(ruby, rb_self)?.is_some_and(|a| test(&a)))
        }
    };
}

ipv6_predicate!(ipv6_unspecified_p, |a| a.iter().all(|&b| b == 0));
ipv6_predicate!(ipv6_loopback_p, |a| a[..15].iter().all(|&b| b == 0)
    && a[15] == 1);
ipv6_predicate!(ipv6_multicast_p, |a| a[0] == 0xff);
ipv6_predicate!(ipv6_linklocal_p, |a| a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
ipv6_predicate!(ipv6_sitelocal_p, |a| a[0] == 0xfe && (a[1] & 0xc0) == 0xc0);
ipv6_predicate!(ipv6_unique_local_p, |a| a[0] == 0xfc || a[0] == 0xfd);
ipv6_predicate!(ipv6_v4mapped_p, v4mapped);
ipv6_predicate!(ipv6_v4compat_p, v4compat);
ipv6_predicate!(ipv6_mc_nodelocal_p, |a| mc_scope(a, 0x1));
ipv6_predicate!(ipv6_mc_linklocal_p, |a| mc_scope(a, 0x2));
ipv6_predicate!(ipv6_mc_sitelocal_p, |a| mc_scope(a, 0x5));
ipv6_predicate!(ipv6_mc_orglocal_p, |a| mc_scope(a, 0x8));
ipv6_predicate!(ipv6_mc_global_p, |a| mc_scope(a, 0xe));

/// Addrinfo#ipv6_to_ipv4: the IPv4 address inside a v4-mapped or
/// v4-compatible IPv6 address (port 0), else nil.
fn ipv6_to_ipv4(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    if rai.afamily() != libc::AF_INET6 {
        return Ok(ruby.qnil().as_value());
    }
    let a: [u8; 16] = rai.bytes::<16>(8);
    if !(v4mapped(&a) || v4compat(&a)) {
        return Ok(ruby.qnil().as_value());
    }
    let ip = std::net::Ipv4Addr::new(a[12], a[13], a[14], a[15]);
    let sa = sockaddr::sockaddr_in(ip, 0);
    let mut out = rai_from(
        ruby,
        sa,
        libc::PF_INET,
        rai.socktype,
        rai.protocol,
        None,
        None,
    )?;
    out.canonname = rai.canonname;
    out.inspectname = rai.inspectname;
    Ok(new_object(ruby, out))
}

/// Addrinfo#unix_path
fn unix_path(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    if rai.afamily() != libc::AF_UNIX {
        return Err(errors::socket_error(ruby, "need AF_UNIX address"));
    }
    let Some(path) = sockaddr::unix_path(rai.sa()) else {
        return Err(errors::socket_error(
            ruby,
            format!(
                "too short AF_UNIX address: {} bytes given for minimum {} bytes.",
                rai.len,
                sockaddr::SUN_PATH_OFFSET
            ),
        ));
    };
    if path.len() > sockaddr::SUN_PATH_LEN {
        return Err(too_long_unix_path(ruby, path.len()));
    }
    Ok(ruby.str_from_slice(path))
}

/// Addrinfo#to_sockaddr / #to_s: the packed sockaddr.
fn to_sockaddr(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let obj = <&Addrinfo>::try_convert(rb_self)?;
    match obj.get() {
        Some(rai) => Ok(ruby.str_from_slice(rai.sa())),
        None => Err(errors::type_error(ruby, "uninitialized socket address")),
    }
}

/// Addrinfo#getnameinfo([flags]) -> [host, service]
fn getnameinfo(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<RArray, Error> {
    check_arity(ruby, args.len(), 0, 1)?;
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    let flags = match args.first() {
        Some(v) if !v.is_nil() => num2int(*v)?,
        _ => 0,
    };
    let (h, p) = nameinfo(ruby, &rai, flags)?;
    Ok(ruby.ary_new_from_values(&[ruby.str_from_slice(&h), ruby.str_from_slice(&p)]))
}

// ---------------------------------------------------------------------------
// Marshal

/// A frozen US-ASCII String for a constant name, as rb_id2str gives.
fn name_str(name: &str) -> Value {
    let s = convert::usascii_str(name);
    s.freeze();
    s.as_value()
}

/// Addrinfo#marshal_dump: [afamily, sockaddr, pfamily, socktype, protocol,
/// canonname, inspectname] with names for the numbers, as stock.
fn marshal_dump(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    let rai = with_rai(ruby, rb_self, Rai::clone)?;
    let af = rai.afamily();
    let pfamily = protocol_family_name(rai.pfamily).ok_or_else(|| {
        errors::socket_error(ruby, format!("unknown protocol family: {}", rai.pfamily))
    })?;
    let socktype = if rai.socktype == 0 {
        ruby.integer_from_i64(0).as_value()
    } else {
        let n = const_name(Category::SockType, rai.socktype).ok_or_else(|| {
            errors::socket_error(ruby, format!("unknown socktype: {}", rai.socktype))
        })?;
        name_str(n)
    };
    let protocol = if rai.protocol == 0 {
        ruby.integer_from_i64(0).as_value()
    } else if sockaddr::is_ip_family(af) {
        let n = const_name(Category::IpProto, rai.protocol).ok_or_else(|| {
            errors::socket_error(ruby, format!("unknown IP protocol: {}", rai.protocol))
        })?;
        name_str(n)
    } else {
        return Err(errors::socket_error(
            ruby,
            format!("unknown protocol: {}", rai.protocol),
        ));
    };
    let afamily = const_name(Category::Family, af)
        .ok_or_else(|| errors::socket_error(ruby, format!("unknown address family: {af}")))?;
    let sa = if af == libc::AF_UNIX {
        let path = sockaddr::unix_path(rai.sa()).unwrap_or(&[]);
        ruby.str_from_slice(path).as_value()
    } else {
        let (h, p) = getnameinfo_blocking(ruby, rai.sa(), resolve::NUMERIC)?;
        ruby.ary_new_from_values(&[ruby.str_from_slice(&h), ruby.str_from_slice(&p)])
            .as_value()
    };
    let nil = ruby.qnil().as_value();
    Ok(ruby.ary_new_from_values(&[
        name_str(afamily),
        sa,
        name_str(&pfamily),
        socktype,
        protocol,
        rai.canonname.map_or(nil, |v| ruby.get_inner(v)),
        rai.inspectname.map_or(nil, |v| ruby.get_inner(v)),
    ]))
}

/// A name from a marshal dump, looked up in `category`, else TypeError.
fn dumped_name(ruby: &Ruby, v: Value, category: Category, what: &str) -> Result<i32, Error> {
    let s = string_value(v)?;
    // SAFETY: looked up at once.
    const_value(category, unsafe { s.as_slice() })
        .ok_or_else(|| errors::type_error(ruby, what.to_owned()))
}

/// SocketError for an AF_UNIX path longer than sun_path, as stock words it
/// for Addrinfo#unix_path and marshal_load.
fn too_long_unix_path(ruby: &Ruby, given: usize) -> Error {
    errors::socket_error(
        ruby,
        format!(
            "too long AF_UNIX path ({given} bytes given but {} bytes max)",
            sockaddr::SUN_PATH_LEN
        ),
    )
}

/// Addrinfo#marshal_load(array)
fn marshal_load(ruby: &Ruby, rb_self: Value, ary: Value) -> Result<Value, Error> {
    let obj = <&Addrinfo>::try_convert(rb_self)?;
    if obj.get().is_some() {
        return Err(errors::type_error(
            ruby,
            "already initialized socket address",
        ));
    }
    let rai = marshal_rai(ruby, ary)?;
    // Left uninitialized when the array is bad, as stock.
    if obj.rai.set(rai).is_err() {
        return Err(errors::type_error(
            ruby,
            "already initialized socket address",
        ));
    }
    obj.started.store(true, Ordering::Release);
    Ok(rb_self)
}

/// The Rai of a marshal_dump array.
fn marshal_rai(ruby: &Ruby, ary: Value) -> Result<Rai, Error> {
    let ary = convert_ary(ary)?;
    let afamily = dumped_name(
        ruby,
        ary.entry(0)?,
        Category::Family,
        "unexpected address family",
    )?;
    let pfamily = dumped_name(
        ruby,
        ary.entry(2)?,
        Category::Family,
        "unexpected protocol family",
    )?;
    let zero = |v: Value| magnus::Fixnum::from_value(v).is_some_and(|f| f.to_isize() == 0);
    let v: Value = ary.entry(3)?;
    let socktype = if zero(v) {
        0
    } else {
        dumped_name(ruby, v, Category::SockType, "unexpected socktype")?
    };
    let v: Value = ary.entry(4)?;
    let protocol = if zero(v) {
        0
    } else {
        let s = string_value(v)?;
        if !sockaddr::is_ip_family(afamily) {
            return Err(errors::type_error(ruby, "unexpected protocol"));
        }
        dumped_name(ruby, s.as_value(), Category::IpProto, "unexpected protocol")?
    };
    let opt_str = |v: Value| -> Result<Option<Value>, Error> {
        if v.is_nil() {
            Ok(None)
        } else {
            Ok(Some(string_value(v)?.as_value()))
        }
    };
    let canonname = opt_str(ary.entry(5)?)?;
    let inspectname = opt_str(ary.entry(6)?)?;
    let v: Value = ary.entry(1)?;
    let sa = if afamily == libc::AF_UNIX {
        let path = string_value(v)?;
        // SAFETY: copied at once.
        let path = unsafe { path.as_slice() }.to_vec();
        if path.len() > sockaddr::SUN_PATH_LEN {
            return Err(too_long_unix_path(ruby, path.len()));
        }
        let mut sa = vec![0u8; sockaddr::SOCKADDR_UN_LEN];
        sa[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
        sa[2..2 + path.len()].copy_from_slice(&path);
        sa
    } else {
        let pair = convert_ary(v)?;
        let hints = Hints {
            family: pfamily,
            socktype,
            protocol,
            flags: libc::AI_NUMERICHOST | libc::AI_NUMERICSERV,
        };
        let list = getaddrinfo(ruby, pair.entry(0)?, pair.entry(1)?, hints, true, None)?;
        list[0].addr.to_vec()
    };
    let rai = rai_from(
        ruby,
        sa,
        pfamily,
        socktype,
        protocol,
        canonname,
        inspectname,
    )?;
    Ok(rai)
}

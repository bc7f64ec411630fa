//! Socket::AncillaryData, and BasicSocket#sendmsg/#recvmsg (with their
//! _nonblock forms), which stock also defines in ancdata.c.
//!
//! Like stock, an AncillaryData keeps family, level, type and data in hidden
//! instance variables (names without '@'), so `instance_variables` is empty
//! and a subclass or an `allocate`d object fails the way stock's does.

use crate::convert::positional;
use crate::convert::{
    cmsg_type_arg, family_arg, level_arg, num2int, num2uint, sockaddr_arg, string_value,
};
use crate::core::cmsg::{self, In6Pktinfo, InPktinfo, Outgoing};
use crate::core::sys::{self, Message};
use crate::errors::{self, WouldBlock};
use crate::ffi::{hidden_ivar_get, hidden_ivar_set, protect};
use crate::io_bridge::{self, Buffer, Retry};
use crate::ruby::addrinfo;
use crate::ruby::socket::SOCKET;
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::{Lazy, LazyId},
    Error, IntoValue, RArray, RClass, RString, Ruby, Value,
};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

static ANCILLARY_DATA: Lazy<RClass> = Lazy::new(|ruby| {
    let socket: RClass = ruby.class_object().const_get("Socket").expect("Socket");
    socket
        .const_get("AncillaryData")
        .expect("Socket::AncillaryData")
});

pub fn init(ruby: &Ruby, socket: RClass) -> Result<RClass, Error> {
    let class = socket.define_class("AncillaryData", ruby.class_object())?;
    class.define_method("initialize", method!(initialize, 4))?;
    class.define_method("family", method!(family_m, 0))?;
    class.define_method("level", method!(level_m, 0))?;
    class.define_method("type", method!(type_m, 0))?;
    class.define_method("data", method!(data, 0))?;
    class.define_method("inspect", method!(inspect, 0))?;
    class.define_method("cmsg_is?", method!(cmsg_is, 2))?;
    class.define_singleton_method("int", function!(s_int, 4))?;
    class.define_method("int", method!(int, 0))?;
    class.define_singleton_method("unix_rights", function!(s_unix_rights, -1))?;
    class.define_method("unix_rights", method!(unix_rights, 0))?;
    class.define_method("timestamp", method!(timestamp, 0))?;
    class.define_singleton_method("ip_pktinfo", function!(s_ip_pktinfo, -1))?;
    class.define_method("ip_pktinfo", method!(ip_pktinfo, 0))?;
    class.define_singleton_method("ipv6_pktinfo", function!(s_ipv6_pktinfo, 2))?;
    class.define_method("ipv6_pktinfo", method!(ipv6_pktinfo, 0))?;
    class.define_method("ipv6_pktinfo_addr", method!(ipv6_pktinfo_addr, 0))?;
    class.define_method("ipv6_pktinfo_ifindex", method!(ipv6_pktinfo_ifindex, 0))?;
    Ok(class)
}

/// BasicSocket's private __sendmsg/__recvmsg (and _nonblock) primitives;
/// lib/socket_rs/ancdata.rb wraps them in the public methods, with stock's
/// parameter lists, as stock's socket.rb does.
pub fn init_msg_methods(_ruby: &Ruby, basic_socket: RClass) -> Result<(), Error> {
    basic_socket.define_private_method("__sendmsg", method!(sendmsg, 4))?;
    basic_socket.define_private_method("__sendmsg_nonblock", method!(sendmsg_nonblock, 5))?;
    basic_socket.define_private_method("__recvmsg", method!(recvmsg, 4))?;
    basic_socket.define_private_method("__recvmsg_nonblock", method!(recvmsg_nonblock, 5))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Hidden instance variables.

static FAMILY: LazyId = LazyId::new("family");
static LEVEL: LazyId = LazyId::new("level");
static TYPE: LazyId = LazyId::new("type");
static DATA: LazyId = LazyId::new("data");
static UNIX_RIGHTS: LazyId = LazyId::new("unix_rights");

fn family_of(obj: Value) -> Result<i32, Error> {
    num2int(hidden_ivar_get(obj, &FAMILY))
}

fn level_of(obj: Value) -> Result<i32, Error> {
    num2int(hidden_ivar_get(obj, &LEVEL))
}

fn type_of(obj: Value) -> Result<i32, Error> {
    num2int(hidden_ivar_get(obj, &TYPE))
}

fn data(obj: Value) -> Result<RString, Error> {
    string_value(hidden_ivar_get(obj, &DATA))
}

/// The bytes of a String, copied out before any other Ruby call.
fn bytes_of(s: RString) -> Vec<u8> {
    // SAFETY: copied at once; no Ruby code runs in between.
    unsafe { s.as_slice() }.to_vec()
}

fn store(
    ruby: &Ruby,
    obj: Value,
    family: i32,
    level: i32,
    ctype: i32,
    data: Value,
) -> Result<(), Error> {
    hidden_ivar_set(obj, &FAMILY, family.into_value_with(ruby))?;
    hidden_ivar_set(obj, &LEVEL, level.into_value_with(ruby))?;
    hidden_ivar_set(obj, &TYPE, ctype.into_value_with(ruby))?;
    hidden_ivar_set(obj, &DATA, data)
}

/// stock's ancdata_new: always a Socket::AncillaryData, whatever the receiver.
fn ancdata_new(
    ruby: &Ruby,
    family: i32,
    level: i32,
    ctype: i32,
    data: RString,
) -> Result<Value, Error> {
    let class = ruby.get_inner(&ANCILLARY_DATA);
    // SAFETY: rb_obj_alloc of a plain Ruby class allocates an empty object.
    let obj = unsafe { Value::from_raw(rb_sys::rb_obj_alloc(class.as_raw())) };
    store(ruby, obj, family, level, ctype, data.as_value())?;
    Ok(obj)
}

// ---------------------------------------------------------------------------
// Constructors and accessors.

/// Socket::AncillaryData.new(family, cmsg_level, cmsg_type, cmsg_data)
fn initialize(
    ruby: &Ruby,
    rb_self: Value,
    family: Value,
    level: Value,
    ctype: Value,
    data: Value,
) -> Result<Value, Error> {
    let family = family_arg(ruby, family)?;
    let level = level_arg(ruby, family, level)?;
    let ctype = cmsg_type_arg(ruby, family, level, ctype)?;
    let data = string_value(data)?;
    store(ruby, rb_self, family, level, ctype, data.as_value())?;
    Ok(rb_self)
}

fn family_m(rb_self: Value) -> Result<i32, Error> {
    family_of(rb_self)
}

fn level_m(rb_self: Value) -> Result<i32, Error> {
    level_of(rb_self)
}

fn type_m(rb_self: Value) -> Result<i32, Error> {
    type_of(rb_self)
}

/// AncillaryData#cmsg_is?(level, type): names resolved for this family.
fn cmsg_is(ruby: &Ruby, rb_self: Value, level: Value, ctype: Value) -> Result<bool, Error> {
    let family = family_of(rb_self)?;
    let level = level_arg(ruby, family, level)?;
    let ctype = cmsg_type_arg(ruby, family, level, ctype)?;
    Ok(level_of(rb_self)? == level && type_of(rb_self)? == ctype)
}

/// AncillaryData.int(family, level, type, integer): the int as native bytes.
fn s_int(
    ruby: &Ruby,
    family: Value,
    level: Value,
    ctype: Value,
    int: Value,
) -> Result<Value, Error> {
    let family = family_arg(ruby, family)?;
    let level = level_arg(ruby, family, level)?;
    let ctype = cmsg_type_arg(ruby, family, level, ctype)?;
    let i = num2int(int)?;
    let data = ruby.str_from_slice(&i.to_ne_bytes());
    ancdata_new(ruby, family, level, ctype, data)
}

fn int(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    let bytes = bytes_of(data(rb_self)?);
    match <[u8; 4]>::try_from(bytes.as_slice()) {
        Ok(b) => Ok(i32::from_ne_bytes(b)),
        Err(_) => Err(errors::type_error(
            ruby,
            format!(
                "size differ.  expected as sizeof(int)={} but {}",
                std::mem::size_of::<libc::c_int>(),
                bytes.len()
            ),
        )),
    }
}

/// AncillaryData.unix_rights(io1, io2, ...): SCM_RIGHTS of their descriptors;
/// the IOs are kept for #unix_rights.
fn s_unix_rights(ruby: &Ruby, args: &[Value]) -> Result<Value, Error> {
    if args.iter().any(|v| !io_bridge::is_io(*v)) {
        return Err(errors::type_error(ruby, "IO expected"));
    }
    let ios = ruby.ary_from_iter(args.iter().copied());
    let mut bytes = Vec::with_capacity(args.len() * 4);
    for io in args {
        bytes.extend_from_slice(&io_bridge::fd(ruby, *io)?.to_ne_bytes());
    }
    let data = ruby.str_from_slice(&bytes);
    let obj = ancdata_new(
        ruby,
        libc::AF_UNIX,
        libc::SOL_SOCKET,
        libc::SCM_RIGHTS,
        data,
    )?;
    hidden_ivar_set(obj, &UNIX_RIGHTS, ios.as_value())?;
    Ok(obj)
}

/// AncillaryData#unix_rights: the IOs (nil when none were attached).
fn unix_rights(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let level = level_of(rb_self)?;
    let ctype = type_of(rb_self)?;
    if level != libc::SOL_SOCKET || ctype != libc::SCM_RIGHTS {
        return Err(errors::type_error(
            ruby,
            "SCM_RIGHTS ancillary data expected",
        ));
    }
    Ok(hidden_ivar_get(rb_self, &UNIX_RIGHTS))
}

/// AncillaryData#timestamp: a Time from SCM_TIMESTAMP or SCM_TIMESTAMPNS.
fn timestamp(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let level = level_of(rb_self)?;
    let ctype = type_of(rb_self)?;
    let bytes = bytes_of(data(rb_self)?);
    let fields = match (level, ctype) {
        (libc::SOL_SOCKET, libc::SCM_TIMESTAMP) => {
            cmsg::time_fields(&bytes, false).map(|f| (f, false))
        }
        (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => {
            cmsg::time_fields(&bytes, true).map(|f| (f, true))
        }
        _ => None,
    };
    let Some(((sec, frac), nanos)) = fields else {
        return Err(errors::type_error(
            ruby,
            "timestamp ancillary data expected",
        ));
    };
    // SAFETY: both only allocate a Time; an unrepresentable one raises
    // RangeError, which protect catches.
    let raw = protect(|| unsafe {
        if nanos {
            rb_sys::rb_time_nano_new(sec as _, frac as _)
        } else {
            rb_sys::rb_time_new(sec as _, frac as _)
        }
    })?;
    // SAFETY: a Time object.
    Ok(unsafe { Value::from_raw(raw) })
}

/// The 4 address bytes of a packed sockaddr_in, with stock's errors.
fn in_addr_of(ruby: &Ruby, packed: &[u8], what: &str, size_what: &str) -> Result<[u8; 4], Error> {
    if packed.len() != std::mem::size_of::<libc::sockaddr_in>() {
        return Err(errors::argument_error(
            ruby,
            format!("{size_what} size different to AF_INET sockaddr"),
        ));
    }
    if crate::core::sockaddr::family(packed) != libc::AF_INET {
        return Err(errors::argument_error(
            ruby,
            format!("{what} is not AF_INET sockaddr"),
        ));
    }
    let at = std::mem::offset_of!(libc::sockaddr_in, sin_addr);
    Ok([packed[at], packed[at + 1], packed[at + 2], packed[at + 3]])
}

/// AncillaryData.ip_pktinfo(addr, ifindex [, spec_dst])
fn s_ip_pktinfo(ruby: &Ruby, args: &[Value]) -> Result<Value, Error> {
    let ([addr, ifindex], [spec_dst]) = positional::<2, 1>(ruby, args)?;
    let addr = bytes_of(sockaddr_arg(ruby, addr)?);
    let ifindex = num2uint(ifindex)?;
    let spec_dst = match spec_dst {
        Some(v) if !v.is_nil() => bytes_of(sockaddr_arg(ruby, v)?),
        _ => addr.clone(),
    };
    let addr = in_addr_of(ruby, &addr, "addr", "addr")?;
    // stock's message says "spec_dat" here.
    let spec_dst = in_addr_of(ruby, &spec_dst, "spec_dst", "spec_dat")?;
    let info = InPktinfo {
        ifindex,
        spec_dst,
        addr,
    };
    let data = ruby.str_from_slice(&info.to_bytes());
    ancdata_new(
        ruby,
        libc::AF_INET,
        libc::IPPROTO_IP,
        libc::IP_PKTINFO,
        data,
    )
}

/// AncillaryData#ip_pktinfo -> [addr, ifindex, spec_dst]
fn ip_pktinfo(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    let level = level_of(rb_self)?;
    let ctype = type_of(rb_self)?;
    let bytes = bytes_of(data(rb_self)?);
    let info = match (level, ctype) {
        (libc::IPPROTO_IP, libc::IP_PKTINFO) => InPktinfo::parse(&bytes),
        _ => None,
    };
    let Some(info) = info else {
        return Err(errors::type_error(
            ruby,
            "IP_PKTINFO ancillary data expected",
        ));
    };
    let addr = addrinfo::from_sockaddr(ruby, &cmsg::sockaddr_in(info.addr), libc::PF_INET, 0, 0)?;
    let spec_dst =
        addrinfo::from_sockaddr(ruby, &cmsg::sockaddr_in(info.spec_dst), libc::PF_INET, 0, 0)?;
    Ok(ruby.ary_new_from_values(&[addr, info.ifindex.into_value_with(ruby), spec_dst]))
}

/// AncillaryData.ipv6_pktinfo(addr, ifindex)
fn s_ipv6_pktinfo(ruby: &Ruby, addr: Value, ifindex: Value) -> Result<Value, Error> {
    let addr = bytes_of(sockaddr_arg(ruby, addr)?);
    let ifindex = num2uint(ifindex)?;
    if addr.len() != std::mem::size_of::<libc::sockaddr_in6>() {
        return Err(errors::argument_error(
            ruby,
            "addr size different to AF_INET6 sockaddr",
        ));
    }
    if crate::core::sockaddr::family(&addr) != libc::AF_INET6 {
        return Err(errors::argument_error(
            ruby,
            "addr is not AF_INET6 sockaddr",
        ));
    }
    let at = std::mem::offset_of!(libc::sockaddr_in6, sin6_addr);
    let mut a = [0u8; 16];
    a.copy_from_slice(&addr[at..at + 16]);
    let info = In6Pktinfo { addr: a, ifindex };
    let data = ruby.str_from_slice(&info.to_bytes());
    ancdata_new(
        ruby,
        libc::AF_INET6,
        libc::IPPROTO_IPV6,
        libc::IPV6_PKTINFO,
        data,
    )
}

/// The IPV6_PKTINFO payload's address as a packed sockaddr_in6 (scoped to
/// the interface when link-local) and its ifindex, as stock's
/// extract_ipv6_pktinfo.
fn extract_ipv6_pktinfo(ruby: &Ruby, rb_self: Value) -> Result<(Vec<u8>, u32), Error> {
    let level = level_of(rb_self)?;
    let ctype = type_of(rb_self)?;
    let bytes = bytes_of(data(rb_self)?);
    let info = match (level, ctype) {
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => In6Pktinfo::parse(&bytes),
        _ => None,
    };
    let Some(info) = info else {
        return Err(errors::type_error(
            ruby,
            "IPV6_PKTINFO ancillary data expected",
        ));
    };
    Ok((cmsg::sockaddr_in6_for_pktinfo(&info), info.ifindex))
}

fn ipv6_pktinfo(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    let (sockaddr, ifindex) = extract_ipv6_pktinfo(ruby, rb_self)?;
    let addr = addrinfo::from_sockaddr(ruby, &sockaddr, libc::PF_INET6, 0, 0)?;
    Ok(ruby.ary_new_from_values(&[addr, ifindex.into_value_with(ruby)]))
}

fn ipv6_pktinfo_addr(ruby: &Ruby, rb_self: Value) -> Result<Value, Error> {
    let (sockaddr, _) = extract_ipv6_pktinfo(ruby, rb_self)?;
    addrinfo::from_sockaddr(ruby, &sockaddr, libc::PF_INET6, 0, 0)
}

fn ipv6_pktinfo_ifindex(ruby: &Ruby, rb_self: Value) -> Result<u32, Error> {
    Ok(extract_ipv6_pktinfo(ruby, rb_self)?.1)
}

/// AncillaryData#inspect, as stock: names where known, the decoded form
/// for the types it knows, else the data dumped.
fn inspect(rb_self: Value) -> Result<RString, Error> {
    let family = family_of(rb_self)?;
    let level = level_of(rb_self)?;
    let ctype = type_of(rb_self)?;
    let data = data(rb_self)?;
    let bytes = bytes_of(data);
    // SAFETY: rb_obj_classname returns the class's name as a C string that
    // lives as long as the class; copied at once.
    let class_name = unsafe { CStr::from_ptr(rb_sys::rb_obj_classname(rb_self.as_raw())) }
        .to_bytes()
        .to_vec();
    let mut out = b"#<".to_vec();
    out.extend_from_slice(&class_name);
    out.push(b':');
    out.extend_from_slice(cmsg::inspect_head(family, level, ctype).as_bytes());
    match cmsg::inspect_decoded(family, level, ctype, &bytes) {
        Some(decoded) => out.extend_from_slice(decoded.as_bytes()),
        None => {
            // SAFETY: rb_str_dump allocates (and may raise NoMemoryError);
            // protect catches it.
            let raw = protect(|| unsafe { rb_sys::rb_str_dump(data.as_raw()) })?;
            // SAFETY: rb_str_dump returns a String.
            let dumped = RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String");
            out.push(b' ');
            out.extend_from_slice(&bytes_of(dumped));
        }
    }
    out.push(b'>');
    let ruby = Ruby::get_with(rb_self);
    // A binary String, as stock's rb_sprintf-built one is.
    Ok(ruby.str_from_slice(&out))
}

// ---------------------------------------------------------------------------
// sendmsg

/// The control messages of a sendmsg call: AncillaryData-like objects (they
/// answer level/type/data) or [level, type, data] arrays.
fn controls_buffer(ruby: &Ruby, family: i32, controls: Value) -> Result<Vec<u8>, Error> {
    let Some(controls) = RArray::from_value(controls) else {
        return Ok(Vec::new());
    };
    let mut owned: Vec<(i32, i32, Vec<u8>)> = Vec::with_capacity(controls.len());
    for i in 0..controls.len() {
        let elt: Value = controls.entry(i as isize)?;
        // SAFETY: rb_check_array_type calls to_ary, which may raise; protect
        // catches it. The result is nil or an Array.
        let raw = protect(|| unsafe { rb_sys::rb_check_array_type(elt.as_raw()) })?;
        // SAFETY: rb_check_array_type returns nil or an Array.
        let ary = RArray::from_value(unsafe { Value::from_raw(raw) });
        let (vlevel, vtype, vdata): (Value, Value, Value) = match ary {
            Some(ary) => {
                if ary.len() != 3 {
                    return Err(errors::argument_error(
                        ruby,
                        "an element of controls should be 3-elements array",
                    ));
                }
                (ary.entry(0)?, ary.entry(1)?, ary.entry(2)?)
            }
            None => (
                elt.funcall("level", ())?,
                elt.funcall("type", ())?,
                elt.funcall("data", ())?,
            ),
        };
        let level = level_arg(ruby, family, vlevel)?;
        let ctype = cmsg_type_arg(ruby, family, level, vtype)?;
        let data = bytes_of(string_value(vdata)?);
        owned.push((level, ctype, data));
    }
    let outgoing: Vec<Outgoing<'_>> = owned
        .iter()
        .map(|(level, ctype, data)| Outgoing {
            level: *level,
            ctype: *ctype,
            data,
        })
        .collect();
    cmsg::encode(&outgoing)
        .map_err(|_| errors::argument_error(ruby, "control messages too long for sendmsg(2)"))
}

fn sendmsg_internal(
    ruby: &Ruby,
    sock: Value,
    mesg: Value,
    flags: Value,
    dest: Value,
    controls: Value,
    nonblock: Option<bool>,
) -> Result<Value, Error> {
    let family = io_bridge::with_fd(ruby, sock, io_bridge::socket_family)?;
    let mesg = string_value(mesg)?;
    let control = controls_buffer(ruby, family, controls)?;
    let flags = if flags.is_nil() { 0 } else { num2int(flags)? };
    let dest = if dest.is_nil() {
        None
    } else {
        Some(bytes_of(sockaddr_arg(ruby, dest)?))
    };
    // The message bytes come from io_bridge's retry loop, which pins the
    // string: with other threads alive the call runs without the GVL.
    let flags = flags | libc::MSG_DONTWAIT;
    let call = |fd: BorrowedFd<'_>, bytes: io_bridge::Bytes<'_>| {
        sys::sendmsg(fd, bytes.message(), &control, dest.as_deref(), flags)
    };
    let how = if nonblock.is_some() {
        Retry::SEND_ONCE
    } else {
        Retry::SEND
    };
    let result = io_bridge::run(ruby, sock, how, Buffer::Send(mesg), call)?;
    match (result, nonblock) {
        (Err(e), Some(exception)) if e.raw_os_error() == Some(libc::EAGAIN) => {
            errors::nonblock_would_block(
                ruby,
                WouldBlock::Write,
                libc::EAGAIN,
                exception,
                "sendmsg(2) would block",
            )
        }
        (Ok(n), _) => Ok(n.into_value_with(ruby)),
        (Err(e), _) => Err(errors::io_error(ruby, &e, "sendmsg(2)")),
    }
}

fn sendmsg(
    ruby: &Ruby,
    rb_self: Value,
    mesg: Value,
    flags: Value,
    dest: Value,
    controls: Value,
) -> Result<Value, Error> {
    sendmsg_internal(ruby, rb_self, mesg, flags, dest, controls, None)
}

fn sendmsg_nonblock(
    ruby: &Ruby,
    rb_self: Value,
    mesg: Value,
    flags: Value,
    dest: Value,
    controls: Value,
    ex: Value,
) -> Result<Value, Error> {
    let exception = crate::convert::raises(ex);
    sendmsg_internal(ruby, rb_self, mesg, flags, dest, controls, Some(exception))
}

// ---------------------------------------------------------------------------
// recvmsg

/// NUM2SIZET of a buffer length, with the errors stock's string allocation
/// gives for a negative or absurd one.
fn buffer_len(value: Value) -> Result<usize, Error> {
    // SAFETY: rb_num2ull (what NUM2SIZET is on this platform) raises
    // TypeError/RangeError; protect catches it. It takes a negative number
    // modulo 2**64, as stock does.
    let n: u64 = protect(|| unsafe { rb_sys::rb_num2ull(value.as_raw()) })?;
    Ok(n as usize)
}

/// A zero-length buffer with room for `len` bytes, made as stock makes its
/// String buffers, the data's before the control's, after every argument
/// was coerced and the socket checked: ArgumentError for a size past
/// i64::MAX (a negative length taken modulo 2**64), NoMemoryError when it
/// cannot be had.
fn buffer(ruby: &Ruby, len: usize) -> Result<Vec<u8>, Error> {
    crate::convert::receive_length(ruby, len as i64)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| errors::no_memory_error(ruby, "failed to allocate memory"))?;
    Ok(v)
}

/// One recvmsg(2) try into the spare room of `dat` (`dat_len` bytes) and
/// `ctl` (`ctl_len` bytes); sets their lengths to what was written.
fn try_recvmsg(
    fd: BorrowedFd<'_>,
    dat: &mut Vec<u8>,
    dat_len: usize,
    ctl: &mut Vec<u8>,
    ctl_len: usize,
    flags: i32,
) -> io::Result<Message> {
    dat.clear();
    ctl.clear();
    let flags = flags | libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT;
    // SAFETY: `buffer` reserved dat_len and ctl_len bytes of capacity, which
    // nothing else writes meanwhile.
    let received = unsafe {
        sys::recvmsg(
            fd,
            dat.as_mut_ptr(),
            dat_len,
            ctl.as_mut_ptr(),
            ctl_len,
            flags,
        )
    }?;
    // SAFETY: recvmsg initialized that many bytes of each buffer (the data
    // count clipped to the buffer, as MSG_TRUNC reports more).
    unsafe {
        dat.set_len(received.len.min(dat_len));
        ctl.set_len(received.control_len);
    }
    Ok(received)
}

/// Closes the descriptors that SCM_RIGHTS messages brought in (stock's
/// rsock_discard_cmsg_resource: Linux installs them even under MSG_PEEK).
fn discard_rights(ctl: &[u8]) {
    // SAFETY: `ctl` is the control data of a message just received, whose
    // rights nothing else has taken.
    drop(unsafe { sys::own_received(&cmsg::all_rights(ctl)) });
}

/// The IOs for received descriptors: Socket for sockets, IO otherwise. On
/// an error the descriptors not yet owned by an IO are dropped (closed).
fn ios_for_rights(ruby: &Ruby, fds: Vec<OwnedFd>) -> Result<RArray, Error> {
    let ary = ruby.ary_new();
    for fd in fds {
        ary.push(io_for_fd(ruby, fd)?)?;
    }
    ary.freeze();
    Ok(ary)
}

fn io_for_fd(ruby: &Ruby, fd: OwnedFd) -> Result<Value, Error> {
    let socket = crate::core::sys::is_socket(fd.as_raw_fd())
        .map_err(|_| errors::socket_error(ruby, "invalid fd in SCM_RIGHTS"))?;
    if socket {
        io_bridge::wrap_fd(ruby, ruby.get_inner(&SOCKET), fd)
    } else {
        io_bridge::fdopen(fd)
    }
}

/// Doubles a grown buffer length, as stock: ArgumentError past SIZE_MAX/2.
fn doubled(ruby: &Ruby, len: usize, what: &str) -> Result<usize, Error> {
    if usize::MAX / 2 < len {
        return Err(errors::argument_error(ruby, what.to_owned()));
    }
    Ok(len * 2)
}

#[allow(clippy::too_many_arguments)]
fn recvmsg_internal(
    ruby: &Ruby,
    sock: Value,
    vmaxdatlen: Value,
    vflags: Value,
    vmaxctllen: Value,
    scm_rights: Value,
    nonblock: Option<bool>,
) -> Result<Value, Error> {
    let mut maxdatlen = if vmaxdatlen.is_nil() {
        4096
    } else {
        buffer_len(vmaxdatlen)?
    };
    let mut maxctllen = if vmaxctllen.is_nil() {
        4096
    } else {
        buffer_len(vmaxctllen)?
    };
    let orig_flags = num2int(vflags)?;
    let mut grow_buffer = vmaxdatlen.is_nil() || vmaxctllen.is_nil();
    let request_scm_rights = scm_rights.to_bool();
    io_bridge::fd(ruby, sock)?;
    if io_bridge::read_pending(sock) {
        return Err(errors::buffered_io(ruby, "recvmsg"));
    }
    let mut gc_done = false;
    let (mut dat, ctl, received) = loop {
        let mut dat = buffer(ruby, maxdatlen)?;
        let mut ctl = buffer(ruby, maxctllen)?;
        let flags = if grow_buffer {
            orig_flags | libc::MSG_PEEK
        } else {
            orig_flags
        };
        // The buffers are Vecs, which do not move while the GVL is released.
        let how = if nonblock.is_some() {
            Retry::RECEIVE_ONCE
        } else {
            Retry::RECEIVE
        };
        let result = io_bridge::run(ruby, sock, how, Buffer::Own, |fd, _| {
            try_recvmsg(fd, &mut dat, maxdatlen, &mut ctl, maxctllen, flags)
        })?;
        let received = match (result, nonblock) {
            (Ok(r), _) => r,
            (Err(e), Some(exception)) if e.raw_os_error() == Some(libc::EAGAIN) => {
                return errors::nonblock_would_block(
                    ruby,
                    WouldBlock::Read,
                    libc::EAGAIN,
                    exception,
                    "recvmsg(2) would block",
                );
            }
            (Err(e), _) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                // Descriptors passed while we are at the limit: collect
                // garbage IOs and try once more, as stock.
                if !gc_done && (errno == libc::EMFILE || errno == libc::EMSGSIZE) {
                    io_bridge::gc_for_fd();
                    gc_done = true;
                    continue;
                }
                return Err(errors::syserr(ruby, errno, "recvmsg(2)"));
            }
        };
        if crate::ruby::shared::end_of_stream(ruby, sock, received.len)? {
            discard_rights(&ctl);
            return Ok(ruby.qnil().as_value());
        }
        if grow_buffer {
            let mut grown = false;
            if vmaxdatlen.is_nil() && received.flags & libc::MSG_TRUNC != 0 {
                maxdatlen = doubled(ruby, maxdatlen, "max data length too big")?;
                grown = true;
            }
            if vmaxctllen.is_nil() && received.flags & libc::MSG_CTRUNC != 0 {
                const BIG_ENOUGH_SPACE: usize = 65536;
                if BIG_ENOUGH_SPACE < maxctllen && ctl.len() < maxctllen - BIG_ENOUGH_SPACE {
                    // Plenty of room yet truncated: the descriptor limit.
                    if !gc_done {
                        discard_rights(&ctl);
                        io_bridge::gc_for_fd();
                        gc_done = true;
                        continue;
                    }
                } else {
                    maxctllen = doubled(ruby, maxctllen, "max control message length too big")?;
                    grown = true;
                }
            }
            discard_rights(&ctl);
            if grown {
                continue;
            }
            // The peek told the sizes; now receive for real.
            grow_buffer = false;
            if flags != orig_flags {
                continue;
            }
        }
        break (dat, ctl, received);
    };
    // With MSG_TRUNC in the flags, recvmsg reports the real datagram length:
    // stock returns a string of that length, so the rest is zero-filled.
    if received.len > dat.len() {
        dat.resize(received.len, 0);
    }
    finish_recvmsg(ruby, sock, &dat, &ctl, &received, request_scm_rights)
}

/// Builds [mesg, sender_addrinfo, rflags, *controls]; every received
/// descriptor ends up in an IO (scm_rights: true) or closed.
fn finish_recvmsg(
    ruby: &Ruby,
    sock: Value,
    dat: &[u8],
    ctl: &[u8],
    received: &Message,
    request_scm_rights: bool,
) -> Result<Value, Error> {
    let head = (|| -> Result<RArray, Error> {
        let mesg = ruby.str_from_slice(dat);
        let name = &received.name;
        let family = if name.len() >= 2 {
            crate::core::sockaddr::family(name)
        } else {
            libc::AF_UNSPEC
        };
        let socktype = crate::ruby::shared::socket_type(ruby, sock)?;
        let sender = addrinfo::from_sockaddr(ruby, name, family, socktype, 0)?;
        let ret = ruby.ary_new_from_values(&[
            mesg.as_value(),
            sender,
            received.flags.into_value_with(ruby),
        ]);
        Ok(ret)
    })();
    let ret = match head {
        Ok(h) => h,
        Err(e) => {
            // Nothing took ownership of the descriptors yet.
            discard_rights(ctl);
            return Err(e);
        }
    };
    if ctl.is_empty() {
        return Ok(ret.as_value());
    }
    // AF_UNSPEC if closed, as for a failed getsockname(2): returning an
    // error here would leak the received rights.
    let sock_family =
        io_bridge::with_fd(ruby, sock, io_bridge::socket_family).unwrap_or(libc::AF_UNSPEC);
    let (msgs, zero) = cmsg::decode(ctl);
    if request_scm_rights {
        // Take ownership of every descriptor first, so none leaks if a
        // later step raises. The IOs are kept in a Ruby Array (nil for a
        // message without rights), on this frame where the GC sees it,
        // while the objects below are allocated: a Rust Vec of them would
        // be invisible to the GC.
        let ios = ruby.ary_new_capa(msgs.len());
        for (i, m) in msgs.iter().enumerate() {
            let rights = ios_for_rights_if_any(ruby, m).and_then(|r| {
                let value = r.map_or_else(|| ruby.qnil().as_value(), |r| r.as_value());
                ios.push(value)
            });
            match rights {
                Ok(()) => {}
                Err(e) => {
                    for later in &msgs[i + 1..] {
                        // SAFETY: rights of the message just received that
                        // nothing has taken: dropped (closed).
                        drop(unsafe { sys::own_received(&later.rights()) });
                    }
                    return Err(e);
                }
            }
        }
        if zero.is_some() {
            return Err(invalid_cmsg(ruby));
        }
        for (i, m) in msgs.iter().enumerate() {
            let obj = ancdata_new(
                ruby,
                sock_family,
                m.level,
                m.ctype,
                ruby.str_from_slice(m.data),
            )?;
            let rights: Value = ios.entry(i as isize)?;
            if !rights.is_nil() {
                hidden_ivar_set(obj, &UNIX_RIGHTS, rights)?;
            }
            ret.push(obj)?;
        }
    } else {
        discard_rights(ctl);
        if zero.is_some() {
            return Err(invalid_cmsg(ruby));
        }
        for m in &msgs {
            let obj = ancdata_new(
                ruby,
                sock_family,
                m.level,
                m.ctype,
                ruby.str_from_slice(m.data),
            )?;
            ret.push(obj)?;
        }
    }
    Ok(ret.as_value())
}

fn ios_for_rights_if_any(ruby: &Ruby, m: &cmsg::Incoming<'_>) -> Result<Option<RArray>, Error> {
    if m.level != libc::SOL_SOCKET || m.ctype != libc::SCM_RIGHTS {
        return Ok(None);
    }
    // SAFETY: rights of the message just received, taken here once.
    ios_for_rights(ruby, unsafe { sys::own_received(&m.rights()) }).map(Some)
}

fn invalid_cmsg(ruby: &Ruby) -> Error {
    errors::type_error(ruby, "invalid control message (cmsg_len == 0)")
}

fn recvmsg(
    ruby: &Ruby,
    rb_self: Value,
    dlen: Value,
    flags: Value,
    clen: Value,
    scm_rights: Value,
) -> Result<Value, Error> {
    recvmsg_internal(ruby, rb_self, dlen, flags, clen, scm_rights, None)
}

fn recvmsg_nonblock(
    ruby: &Ruby,
    rb_self: Value,
    dlen: Value,
    flags: Value,
    clen: Value,
    scm_rights: Value,
    ex: Value,
) -> Result<Value, Error> {
    let exception = crate::convert::raises(ex);
    recvmsg_internal(
        ruby,
        rb_self,
        dlen,
        flags,
        clen,
        scm_rights,
        Some(exception),
    )
}

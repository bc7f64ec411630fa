//! Socket::Ifaddr: one entry of getifaddrs(3), and Socket.getifaddrs /
//! Socket.ip_address_list which read that list.

use crate::core::sockaddr;
use crate::errors;
use crate::io_bridge;
use crate::ruby::{addrinfo, resolution};
use magnus::{
    function, method, prelude::*, rb_sys::AsRawValue, Error, RArray, RClass, RString, Ruby,
    TypedData, Value,
};
use std::ffi::CStr;

/// A copy of one struct ifaddrs (stock keeps the list alive instead; the
/// values are the same).
#[derive(TypedData)]
#[magnus(class = "Socket::Ifaddr", free_immediately, size)]
pub struct Ifaddr {
    name: Vec<u8>,
    flags: u32,
    addr: Option<Vec<u8>>,
    netmask: Option<Vec<u8>>,
    broadaddr: Option<Vec<u8>>,
    dstaddr: Option<Vec<u8>>,
}

impl magnus::DataTypeFunctions for Ifaddr {}

pub fn init(ruby: &Ruby, socket: RClass) -> Result<RClass, Error> {
    let class = socket.define_class("Ifaddr", ruby.class_object())?;
    // SAFETY: undefining the allocator of a class we just defined cannot raise.
    unsafe { rb_sys::rb_undef_alloc_func(class.as_raw()) };
    class.define_method("inspect", method!(inspect, 0))?;
    class.define_method("name", method!(name, 0))?;
    class.define_method("ifindex", method!(ifindex, 0))?;
    class.define_method("flags", method!(flags, 0))?;
    class.define_method("addr", method!(addr, 0))?;
    class.define_method("netmask", method!(netmask, 0))?;
    class.define_method("broadaddr", method!(broadaddr, 0))?;
    class.define_method("dstaddr", method!(dstaddr, 0))?;
    socket.define_singleton_method("getifaddrs", function!(getifaddrs, 0))?;
    socket.define_singleton_method("ip_address_list", function!(ip_address_list, 0))?;
    Ok(class)
}

/// stock's rsock_sockaddr_len: how much of a kernel-provided sockaddr counts.
///
/// # Safety
/// `sa` must point to a sockaddr valid for the length its family implies.
unsafe fn sockaddr_copy(sa: *const libc::sockaddr) -> Option<Vec<u8>> {
    if sa.is_null() {
        return None;
    }
    let family = (*sa).sa_family as i32;
    let len = match family {
        libc::AF_INET => sockaddr::SOCKADDR_IN_LEN,
        libc::AF_INET6 => sockaddr::SOCKADDR_IN6_LEN,
        libc::AF_UNIX => sockaddr::SOCKADDR_UN_LEN,
        libc::AF_PACKET => 12 + (*(sa as *const libc::sockaddr_ll)).sll_halen as usize,
        _ => 2,
    };
    Some(std::slice::from_raw_parts(sa.cast::<u8>(), len).to_vec())
}

/// getifaddrs(3), copied out and freed.
fn read_ifaddrs(ruby: &Ruby) -> Result<Vec<Ifaddr>, Error> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below.
    if unsafe { libc::getifaddrs(&mut list) } < 0 {
        return Err(errors::io_error(
            ruby,
            &io_bridge::last_error(),
            "getifaddrs",
        ));
    }
    let mut out = Vec::new();
    let mut p = list;
    while !p.is_null() {
        // SAFETY: p walks the list getifaddrs returned, not yet freed; its
        // pointers are null or valid sockaddrs of their family.
        let ifa = unsafe { &*p };
        let flags = ifa.ifa_flags;
        let entry = unsafe {
            Ifaddr {
                name: CStr::from_ptr(ifa.ifa_name).to_bytes().to_vec(),
                flags,
                addr: sockaddr_copy(ifa.ifa_addr),
                netmask: sockaddr_copy(ifa.ifa_netmask),
                broadaddr: if flags & libc::IFF_BROADCAST as u32 != 0 {
                    sockaddr_copy(ifa.ifa_ifu)
                } else {
                    None
                },
                dstaddr: if flags & libc::IFF_POINTOPOINT as u32 != 0 {
                    sockaddr_copy(ifa.ifa_ifu)
                } else {
                    None
                },
            }
        };
        out.push(entry);
        p = ifa.ifa_next;
    }
    // SAFETY: list came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    Ok(out)
}

/// Socket.getifaddrs -> [Socket::Ifaddr, ...]
fn getifaddrs(ruby: &Ruby) -> Result<RArray, Error> {
    let list = read_ifaddrs(ruby)?;
    let out = ruby.ary_new_capa(list.len());
    for entry in list {
        out.push(ruby.obj_wrap(entry))?;
    }
    Ok(out)
}

/// Socket.ip_address_list -> [Addrinfo, ...]: the IP addresses of the
/// interfaces, socktype and protocol 0.
fn ip_address_list(ruby: &Ruby) -> Result<RArray, Error> {
    let list = read_ifaddrs(ruby)?;
    let out = ruby.ary_new();
    for entry in list {
        if let Some(sa) = entry.addr {
            let family = sockaddr::family(&sa);
            if family == libc::AF_INET || family == libc::AF_INET6 {
                out.push(addrinfo::from_sockaddr(ruby, &sa, family, 0, 0)?)?;
            }
        }
    }
    Ok(out)
}

fn addrinfo_of(ruby: &Ruby, sa: &Option<Vec<u8>>) -> Result<Value, Error> {
    match sa {
        Some(sa) => addrinfo::from_sockaddr(ruby, sa, sockaddr::family(sa), 0, 0),
        None => Ok(ruby.qnil().as_value()),
    }
}

fn name(ruby: &Ruby, rb_self: &Ifaddr) -> RString {
    ruby.str_from_slice(&rb_self.name)
}

/// Socket::Ifaddr#ifindex: if_nametoindex of the name.
fn ifindex(ruby: &Ruby, rb_self: &Ifaddr) -> Result<u32, Error> {
    let mut cname = rb_self.name.clone();
    cname.push(0);
    // SAFETY: cname is NUL-terminated.
    let index = unsafe { libc::if_nametoindex(cname.as_ptr().cast()) };
    if index == 0 {
        return Err(errors::argument_error(
            ruby,
            format!(
                "invalid interface name: {}",
                String::from_utf8_lossy(&rb_self.name)
            ),
        ));
    }
    Ok(index)
}

fn flags(rb_self: &Ifaddr) -> u32 {
    rb_self.flags
}

fn addr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.addr)
}

fn netmask(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.netmask)
}

fn broadaddr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.broadaddr)
}

fn dstaddr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.dstaddr)
}

/// The IFF_* names stock prints, in its order.
const FLAG_NAMES: &[(i32, &str)] = &[
    (libc::IFF_UP, "UP"),
    (libc::IFF_BROADCAST, "BROADCAST"),
    (libc::IFF_DEBUG, "DEBUG"),
    (libc::IFF_LOOPBACK, "LOOPBACK"),
    (libc::IFF_POINTOPOINT, "POINTOPOINT"),
    (libc::IFF_RUNNING, "RUNNING"),
    (libc::IFF_NOARP, "NOARP"),
    (libc::IFF_PROMISC, "PROMISC"),
    (libc::IFF_NOTRAILERS, "NOTRAILERS"),
    (libc::IFF_ALLMULTI, "ALLMULTI"),
    (libc::IFF_MASTER, "MASTER"),
    (libc::IFF_SLAVE, "SLAVE"),
    (libc::IFF_MULTICAST, "MULTICAST"),
    (libc::IFF_PORTSEL, "PORTSEL"),
    (libc::IFF_AUTOMEDIA, "AUTOMEDIA"),
    (libc::IFF_DYNAMIC, "DYNAMIC"),
];

fn inspect_sa(ruby: &Ruby, sa: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    sockaddr::inspect(sa, out).map_err(|code| {
        resolution::gai_error(
            ruby,
            "getnameinfo",
            crate::core::resolve::GaiError::new(code),
        )
    })
}

/// Socket::Ifaddr#inspect, as stock's ifaddr_inspect.
fn inspect(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    let this = <&Ifaddr>::try_convert(rb_self)?;
    let mut out = b"#<".to_vec();
    // SAFETY: rb_obj_classname returns the class path as a C string.
    let cname = unsafe { CStr::from_ptr(rb_sys::rb_obj_classname(rb_self.as_raw())) };
    out.extend_from_slice(cname.to_bytes());
    out.push(b' ');
    out.extend_from_slice(&this.name);
    let mut flags = this.flags;
    let mut sep = " ";
    for &(bit, name) in FLAG_NAMES {
        if flags & bit as u32 != 0 {
            out.extend_from_slice(sep.as_bytes());
            out.extend_from_slice(name.as_bytes());
            flags &= !(bit as u32);
            sep = ",";
        }
    }
    if flags != 0 {
        out.extend_from_slice(format!("{sep}{flags:#x}").as_bytes());
    }
    for (label, sa) in [
        (" ", &this.addr),
        (" netmask=", &this.netmask),
        (" broadcast=", &this.broadaddr),
        (" dstaddr=", &this.dstaddr),
    ] {
        if let Some(sa) = sa {
            out.extend_from_slice(label.as_bytes());
            inspect_sa(ruby, sa, &mut out)?;
        }
    }
    out.push(b'>');
    Ok(ruby.str_from_slice(&out))
}

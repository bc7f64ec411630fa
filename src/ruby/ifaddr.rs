//! Socket::Ifaddr: one entry of getifaddrs(3), and Socket.getifaddrs /
//! Socket.ip_address_list which read that list.

use crate::core::sockaddr;
use crate::core::sys::{self, Interface};
use crate::errors;
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
pub struct Ifaddr(Interface);

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

/// getifaddrs(3): Errno with stock's message when it fails.
fn read_ifaddrs(ruby: &Ruby) -> Result<Vec<Interface>, Error> {
    sys::interfaces().map_err(|e| errors::io_error(ruby, &e, "getifaddrs"))
}

/// Socket.getifaddrs -> [Socket::Ifaddr, ...]
fn getifaddrs(ruby: &Ruby) -> Result<RArray, Error> {
    let list = read_ifaddrs(ruby)?;
    let out = ruby.ary_new_capa(list.len());
    for entry in list {
        out.push(ruby.obj_wrap(Ifaddr(entry)))?;
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
    ruby.str_from_slice(&rb_self.0.name)
}

/// Socket::Ifaddr#ifindex: if_nametoindex of the name.
fn ifindex(ruby: &Ruby, rb_self: &Ifaddr) -> Result<u32, Error> {
    let index =
        std::ffi::CString::new(rb_self.0.name.clone()).map_or(0, |c| sys::interface_index(&c));
    if index == 0 {
        return Err(errors::argument_error(
            ruby,
            format!(
                "invalid interface name: {}",
                String::from_utf8_lossy(&rb_self.0.name)
            ),
        ));
    }
    Ok(index)
}

fn flags(rb_self: &Ifaddr) -> u32 {
    rb_self.0.flags
}

fn addr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.0.addr)
}

fn netmask(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.0.netmask)
}

fn broadaddr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.0.broadaddr)
}

fn dstaddr(ruby: &Ruby, rb_self: &Ifaddr) -> Result<Value, Error> {
    addrinfo_of(ruby, &rb_self.0.dstaddr)
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
    out.extend_from_slice(&this.0.name);
    let mut flags = this.0.flags;
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
        (" ", &this.0.addr),
        (" netmask=", &this.0.netmask),
        (" broadcast=", &this.0.broadaddr),
        (" dstaddr=", &this.0.dstaddr),
    ] {
        if let Some(sa) = sa {
            out.extend_from_slice(label.as_bytes());
            inspect_sa(ruby, sa, &mut out)?;
        }
    }
    out.push(b'>');
    Ok(ruby.str_from_slice(&out))
}

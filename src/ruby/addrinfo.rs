//! Addrinfo.

use magnus::{prelude::*, Error, RClass, Ruby, Value};

pub fn init(ruby: &Ruby) -> Result<RClass, Error> {
    ruby.define_class("Addrinfo", ruby.class_object())
}

// replaced by the Addrinfo branch at merge
/// An Addrinfo for a packed sockaddr, as stock's rsock_addrinfo_new.
pub fn from_sockaddr(
    ruby: &Ruby,
    sockaddr: &[u8],
    pfamily: i32,
    socktype: i32,
    protocol: i32,
) -> Result<Value, Error> {
    let class: RClass = ruby.class_object().const_get("Addrinfo")?;
    class.funcall(
        "new",
        (ruby.str_from_slice(sockaddr), pfamily, socktype, protocol),
    )
}

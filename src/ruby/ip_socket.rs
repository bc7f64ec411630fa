//! IPSocket < BasicSocket.

use crate::core::resolve::Hints;
use crate::ruby::{resolution, socket::make_ipaddr};
use magnus::{function, prelude::*, Error, RClass, RString, Ruby, Value};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("IPSocket", superclass)?;
    init_resolution(class)?;
    Ok(class)
}

/// IPSocket.getaddress (the Addrinfo issue's part of this class).
fn init_resolution(class: RClass) -> Result<(), Error> {
    class.define_singleton_method("getaddress", function!(getaddress, 1))
}

/// IPSocket.getaddress(host): the first address, numeric.
fn getaddress(ruby: &Ruby, host: Value) -> Result<RString, Error> {
    let hints = Hints {
        family: libc::AF_UNSPEC,
        socktype: libc::SOCK_STREAM,
        protocol: 0,
        flags: 0,
    };
    let list = resolution::getaddrinfo(ruby, host, ruby.qnil().as_value(), hints, true, None)?;
    make_ipaddr(ruby, &list[0].addr)
}

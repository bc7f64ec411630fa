//! TCPSocket < IPSocket.

use crate::core::resolve::Hints;
use crate::ruby::{
    resolution,
    socket::{make_hostent, make_ipaddr, warn},
};
use magnus::{function, prelude::*, Error, RArray, RClass, Ruby, Value};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("TCPSocket", superclass)?;
    init_resolution(class)?;
    Ok(class)
}

/// TCPSocket.gethostbyname (the Addrinfo issue's part of this class).
fn init_resolution(class: RClass) -> Result<(), Error> {
    class.define_singleton_method("gethostbyname", function!(gethostbyname, 1))
}

/// TCPSocket.gethostbyname(host) (deprecated): [name, aliases, family,
/// numeric addresses...].
fn gethostbyname(ruby: &Ruby, host: Value) -> Result<RArray, Error> {
    warn(c"TCPSocket.gethostbyname is deprecated; use Addrinfo.getaddrinfo instead.")?;
    let hints = Hints {
        family: libc::AF_UNSPEC,
        socktype: libc::SOCK_STREAM,
        protocol: 0,
        flags: libc::AI_CANONNAME,
    };
    let list = resolution::getaddrinfo(ruby, host, ruby.qnil().as_value(), hints, true, None)?;
    make_hostent(ruby, host, &list, |sa| {
        make_ipaddr(ruby, sa).map(|s| s.as_value())
    })
}

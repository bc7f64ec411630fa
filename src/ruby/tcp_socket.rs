//! TCPSocket < IPSocket.

use magnus::{function, prelude::*, Error, RClass, Ruby};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("TCPSocket", superclass)?;
    init_resolution(class)?;
    Ok(class)
}

/// TCPSocket.gethostbyname (the Addrinfo issue's part of this class).
fn init_resolution(class: RClass) -> Result<(), Error> {
    class.define_singleton_method(
        "gethostbyname",
        function!(crate::ruby::socket::tcp_gethostbyname, 1),
    )
}

//! IPSocket < BasicSocket.

use magnus::{function, prelude::*, Error, RClass, Ruby};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("IPSocket", superclass)?;
    init_resolution(class)?;
    Ok(class)
}

/// IPSocket.getaddress (the Addrinfo issue's part of this class).
fn init_resolution(class: RClass) -> Result<(), Error> {
    class.define_singleton_method(
        "getaddress",
        function!(crate::ruby::socket::ip_getaddress, 1),
    )
}

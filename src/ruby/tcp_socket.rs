//! TCPSocket < IPSocket.

use magnus::{Error, RClass, Ruby};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    ruby.define_class("TCPSocket", superclass)
}

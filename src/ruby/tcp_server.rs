//! TCPServer < TCPSocket.

use magnus::{Error, RClass, Ruby};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    ruby.define_class("TCPServer", superclass)
}

//! IPSocket < BasicSocket.

use magnus::{Error, RClass, Ruby};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    ruby.define_class("IPSocket", superclass)
}

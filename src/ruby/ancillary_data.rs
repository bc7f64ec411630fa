//! Socket::AncillaryData.

use magnus::{prelude::*, Error, RClass, Ruby};

pub fn init(ruby: &Ruby, socket: RClass) -> Result<RClass, Error> {
    socket.define_class("AncillaryData", ruby.class_object())
}

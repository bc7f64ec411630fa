//! Addrinfo.

use magnus::{Error, RClass, Ruby};

pub fn init(ruby: &Ruby) -> Result<RClass, Error> {
    ruby.define_class("Addrinfo", ruby.class_object())
}

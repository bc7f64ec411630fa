//! SocketError and Socket::ResolutionError (Ruby 3.3+, offered on every Ruby).

use magnus::{
    method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, Exception, RClass, Ruby, Value,
};

pub fn init(ruby: &Ruby) -> Result<(), Error> {
    ruby.define_error("SocketError", ruby.exception_standard_error())?;
    Ok(())
}

/// Socket::ResolutionError < SocketError, with #error_code (an EAI_* value).
pub fn init_resolution_error(ruby: &Ruby, socket: RClass) -> Result<(), Error> {
    let socket_error: magnus::ExceptionClass = ruby.class_object().const_get("SocketError")?;
    let class = socket.define_error("ResolutionError", socket_error)?;
    class.define_method("error_code", method!(error_code, 0))?;
    Ok(())
}

/// The EAI_* code stored when the error was built (see errors::resolution_error).
fn error_code(rb_self: Exception) -> Value {
    // SAFETY: rb_attr_get reads an ivar (nil when unset); it does not raise.
    unsafe {
        Value::from_raw(rb_sys::rb_attr_get(
            rb_self.as_raw(),
            crate::errors::error_code_id(),
        ))
    }
}

//! Socket: the C-like socket API.

use crate::convert::{family_arg, opt_int, socktype_arg};
use crate::errors;
use crate::io_bridge;
use magnus::{method, prelude::*, scan_args::scan_args, Error, RClass, Ruby, Value};

pub fn init(ruby: &Ruby, basic_socket: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("Socket", basic_socket)?;
    class.define_method("initialize", method!(initialize, -1))?;
    class.define_singleton_method("pair", method!(pair, -1))?;
    class.define_singleton_method("socketpair", method!(pair, -1))?;
    Ok(class)
}

/// Socket.new(domain, socktype [, protocol])
fn initialize(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(Value, Value), (Option<Value>,), (), (), (), ()>(args)?;
    let (domain, socktype) = args.required;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(args.optional.0, 0)?;
    let fd = io_bridge::new_socket(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2)"))?;
    io_bridge::init_sock(ruby, rb_self, fd)
}

/// Socket.pair(domain, type [, protocol]) -> [socket1, socket2], also with a
/// block that receives both and closes them when it ends.
pub fn pair(ruby: &Ruby, class: RClass, args: &[Value]) -> Result<Value, Error> {
    let args = scan_args::<(Value, Value), (Option<Value>,), (), (), (), ()>(args)?;
    let (domain, socktype) = args.required;
    let domain = family_arg(ruby, domain)?;
    let socktype = socktype_arg(ruby, socktype)?;
    let protocol = opt_int(args.optional.0, 0)?;
    pair_of(ruby, class, domain, socktype, protocol)
}

/// The body of Socket.pair and UNIXSocket.pair once arguments are coerced.
pub fn pair_of(
    ruby: &Ruby,
    class: RClass,
    domain: i32,
    socktype: i32,
    protocol: i32,
) -> Result<Value, Error> {
    let (a, b) = io_bridge::new_socketpair(domain, socktype, protocol)
        .map_err(|e| errors::io_error(ruby, &e, "socketpair(2)"))?;
    let first = match io_bridge::wrap_fd(ruby, class, a) {
        Ok(s) => s,
        Err(e) => {
            io_bridge::close_fd(b);
            return Err(e);
        }
    };
    let second = io_bridge::wrap_fd(ruby, class, b)?;
    let pair = ruby.ary_new_from_values(&[first, second]);
    if !ruby.block_given() {
        return Ok(pair.as_value());
    }
    // As stock: close both when the block ends, however it ends (IO#close
    // of a closed IO is a no-op).
    let result = ruby.yield_value::<_, Value>(pair);
    let closed_first = first.funcall::<_, _, Value>("close", ());
    let closed_second = second.funcall::<_, _, Value>("close", ());
    let value = result?;
    closed_first?;
    closed_second?;
    Ok(value)
}

//! Socket::Option: a socket option as returned by BasicSocket#getsockopt.
//! As stock, the four fields live in hidden instance variables (names
//! without "@"), so dup, clone and Marshal carry them along.

use crate::convert::{family_arg, level_arg, num2int, optname_arg, string_value};
use crate::core::option_inspect;
use crate::errors;
use crate::ffi::{hidden_ivar_get, hidden_ivar_set, protect};
use magnus::{
    function, method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::{Lazy, LazyId},
    Error, IntoValue, RClass, RString, Ruby, Value,
};

static OPTION: Lazy<RClass> = Lazy::new(|ruby| {
    let socket: RClass = ruby.class_object().const_get("Socket").expect("Socket");
    socket.const_get("Option").expect("Socket::Option")
});

pub fn init(ruby: &Ruby, socket: RClass) -> Result<RClass, Error> {
    let class = socket.define_class("Option", ruby.class_object())?;
    class.define_method("initialize", method!(initialize, 4))?;
    class.define_method("family", method!(family, 0))?;
    class.define_method("level", method!(level, 0))?;
    class.define_method("optname", method!(optname, 0))?;
    class.define_method("data", method!(data, 0))?;
    class.define_method("to_s", method!(data, 0))?;
    class.define_method("inspect", method!(inspect, 0))?;
    class.define_method("unpack", method!(unpack, 1))?;
    class.define_singleton_method("int", function!(s_int, 4))?;
    class.define_method("int", method!(int, 0))?;
    class.define_singleton_method("byte", function!(s_byte, 4))?;
    class.define_method("byte", method!(byte, 0))?;
    class.define_singleton_method("bool", function!(s_bool, 4))?;
    class.define_method("bool", method!(bool, 0))?;
    class.define_singleton_method("linger", function!(s_linger, 2))?;
    class.define_method("linger", method!(linger, 0))?;
    class.define_singleton_method("ipv4_multicast_loop", function!(s_ipv4_multicast_loop, 1))?;
    class.define_method("ipv4_multicast_loop", method!(ipv4_multicast_loop, 0))?;
    class.define_singleton_method("ipv4_multicast_ttl", function!(s_ipv4_multicast_ttl, 1))?;
    class.define_method("ipv4_multicast_ttl", method!(ipv4_multicast_ttl, 0))?;
    Ok(class)
}

// The hidden instance variables holding the fields.
static FAMILY: LazyId = LazyId::new("family");
static LEVEL: LazyId = LazyId::new("level");
static OPTNAME: LazyId = LazyId::new("optname");
static DATA: LazyId = LazyId::new("data");

fn set_fields(
    ruby: &Ruby,
    obj: Value,
    family: i32,
    level: i32,
    optname: i32,
    data: RString,
) -> Result<Value, Error> {
    hidden_ivar_set(obj, &FAMILY, family.into_value_with(ruby))?;
    hidden_ivar_set(obj, &LEVEL, level.into_value_with(ruby))?;
    hidden_ivar_set(obj, &OPTNAME, optname.into_value_with(ruby))?;
    hidden_ivar_set(obj, &DATA, data.as_value())?;
    Ok(obj)
}

/// stock's rsock_sockopt_new: a Socket::Option from already coerced fields.
pub fn new_option(
    ruby: &Ruby,
    family: i32,
    level: i32,
    optname: i32,
    data: RString,
) -> Result<Value, Error> {
    let class = ruby.get_inner(&OPTION);
    // SAFETY: rb_obj_alloc on a plain Object subclass does not raise.
    let obj = unsafe { Value::from_raw(rb_sys::rb_obj_alloc(class.as_raw())) };
    set_fields(ruby, obj, family, level, optname, data)
}

/// The family, level and optname arguments as stock coerces them, in order.
fn coerce_names(
    ruby: &Ruby,
    family: Value,
    level: Value,
    optname: Value,
) -> Result<(i32, i32, i32), Error> {
    let family = family_arg(ruby, family)?;
    let level = level_arg(ruby, family, level)?;
    let optname = optname_arg(ruby, family, level, optname)?;
    Ok((family, level, optname))
}

/// Socket::Option.new(family, level, optname, data)
fn initialize(
    ruby: &Ruby,
    rb_self: Value,
    family: Value,
    level: Value,
    optname: Value,
    data: Value,
) -> Result<Value, Error> {
    let (family, level, optname) = coerce_names(ruby, family, level, optname)?;
    let data = string_value(data)?;
    set_fields(ruby, rb_self, family, level, optname, data)
}

fn family(rb_self: Value) -> Value {
    hidden_ivar_get(rb_self, &FAMILY)
}

fn level_of(rb_self: Value) -> Result<i32, Error> {
    num2int(hidden_ivar_get(rb_self, &LEVEL))
}

fn optname_of(rb_self: Value) -> Result<i32, Error> {
    num2int(hidden_ivar_get(rb_self, &OPTNAME))
}

fn level(rb_self: Value) -> Result<i32, Error> {
    level_of(rb_self)
}

fn optname(rb_self: Value) -> Result<i32, Error> {
    optname_of(rb_self)
}

/// Socket::Option#data (and #to_s): the option value as a String.
fn data(rb_self: Value) -> Result<RString, Error> {
    string_value(hidden_ivar_get(rb_self, &DATA))
}

fn data_bytes(rb_self: Value) -> Result<Vec<u8>, Error> {
    let s = data(rb_self)?;
    // SAFETY: copied out before any other Ruby call.
    Ok(unsafe { s.as_slice() }.to_vec())
}

/// Socket::Option#unpack(template): data.unpack(template).
fn unpack(rb_self: Value, template: Value) -> Result<Value, Error> {
    data(rb_self)?.funcall("unpack", (template,))
}

/// stock's check_size: TypeError unless the data has the C type's size.
fn check_size(ruby: &Ruby, actual: usize, expected: usize, ctype: &str) -> Result<(), Error> {
    if actual != expected {
        return Err(errors::type_error(
            ruby,
            format!("size differ.  expected as sizeof({ctype})={expected} but {actual}"),
        ));
    }
    Ok(())
}

fn int_data(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    let data = data(rb_self)?;
    check_size(ruby, data.len(), 4, "int")?;
    // SAFETY: the 4 bytes are copied out at once, before any Ruby call.
    let bytes = unsafe { data.as_slice() };
    Ok(i32::from_ne_bytes(bytes[..4].try_into().expect("4 bytes")))
}

/// NUM2INT(rb_to_int(v)), as stock's int/byte constructors convert: a
/// Float is truncated, nil is "no implicit conversion of nil into Integer".
fn to_int(value: Value) -> Result<i32, Error> {
    if magnus::Fixnum::from_value(value).is_some() {
        return num2int(value);
    }
    // SAFETY: rb_to_int raises TypeError for non-integers; protect catches it.
    let raw = protect(|| unsafe { rb_sys::rb_to_int(value.as_raw()) })?;
    // SAFETY: rb_to_int returns an Integer.
    num2int(unsafe { Value::from_raw(raw) })
}

/// Socket::Option.int(family, level, optname, integer)
fn s_int(
    ruby: &Ruby,
    family: Value,
    level: Value,
    optname: Value,
    value: Value,
) -> Result<Value, Error> {
    typed(ruby, [family, level, optname], || {
        Ok(to_int(value)?.to_ne_bytes().to_vec())
    })
}

/// The body the typed constructors share: the names coerced first, as
/// stock does, then the value packed by `data`.
fn typed(
    ruby: &Ruby,
    [family, level, optname]: [Value; 3],
    data: impl FnOnce() -> Result<Vec<u8>, Error>,
) -> Result<Value, Error> {
    let (family, level, optname) = coerce_names(ruby, family, level, optname)?;
    let data = data()?;
    new_option(ruby, family, level, optname, ruby.str_from_slice(&data))
}

fn int(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    int_data(ruby, rb_self)
}

/// Socket::Option.byte(family, level, optname, integer): one byte, the
/// integer's low 8 bits.
fn s_byte(
    ruby: &Ruby,
    family: Value,
    level: Value,
    optname: Value,
    value: Value,
) -> Result<Value, Error> {
    typed(ruby, [family, level, optname], || {
        Ok(vec![to_int(value)? as u8])
    })
}

fn byte(ruby: &Ruby, rb_self: Value) -> Result<u8, Error> {
    let data = data_bytes(rb_self)?;
    check_size(ruby, data.len(), 1, "char")?;
    Ok(data[0])
}

/// Socket::Option.bool(family, level, optname, bool): an int, 1 for any
/// truthy value.
fn s_bool(
    ruby: &Ruby,
    family: Value,
    level: Value,
    optname: Value,
    value: Value,
) -> Result<Value, Error> {
    typed(ruby, [family, level, optname], || {
        Ok(i32::from(value.to_bool()).to_ne_bytes().to_vec())
    })
}

/// Socket::Option#bool: a one-byte or int-sized value, nonzero is true.
fn bool(ruby: &Ruby, rb_self: Value) -> Result<bool, Error> {
    let data = data_bytes(rb_self)?;
    if data.len() == 1 {
        return Ok(data[0] != 0);
    }
    check_size(ruby, data.len(), 4, "int")?;
    Ok(i32::from_ne_bytes(data[..4].try_into().expect("4 bytes")) != 0)
}

/// rb_check_to_integer(v, "to_int"): Some(Integer) for an Integer or an
/// object whose to_int returns one.
fn check_to_integer(value: Value) -> Result<Option<Value>, Error> {
    // SAFETY: rb_check_to_integer calls to_int, which may raise; protect
    // catches it. It returns nil when there is no integer.
    let raw =
        protect(|| unsafe { rb_sys::rb_check_to_integer(value.as_raw(), c"to_int".as_ptr()) })?;
    // SAFETY: the result is nil or an Integer.
    let v = unsafe { Value::from_raw(raw) };
    Ok((!v.is_nil()).then_some(v))
}

/// Socket::Option.linger(onoff, secs): SO_LINGER of family AF_UNSPEC.
fn s_linger(ruby: &Ruby, onoff: Value, secs: Value) -> Result<Value, Error> {
    let onoff = match check_to_integer(onoff)? {
        Some(i) => num2int(i)?,
        None => i32::from(onoff.to_bool()),
    };
    let secs = num2int(secs)?;
    let mut bytes = onoff.to_ne_bytes().to_vec();
    bytes.extend_from_slice(&secs.to_ne_bytes());
    new_option(
        ruby,
        libc::AF_UNSPEC,
        libc::SOL_SOCKET,
        libc::SO_LINGER,
        ruby.str_from_slice(&bytes),
    )
}

/// Socket::Option#linger -> [onoff, secs]; onoff is true/false for 1/0.
fn linger(ruby: &Ruby, rb_self: Value) -> Result<(Value, i32), Error> {
    if level_of(rb_self)? != libc::SOL_SOCKET || optname_of(rb_self)? != libc::SO_LINGER {
        return Err(errors::type_error(ruby, "linger socket option expected"));
    }
    let data = data_bytes(rb_self)?;
    check_size(ruby, data.len(), 8, "struct linger")?;
    let onoff = i32::from_ne_bytes(data[..4].try_into().expect("4 bytes"));
    let secs = i32::from_ne_bytes(data[4..8].try_into().expect("4 bytes"));
    let onoff = match onoff {
        0 => ruby.qfalse().as_value(),
        1 => ruby.qtrue().as_value(),
        n => n.into_value_with(ruby),
    };
    Ok((onoff, secs))
}

/// Socket::Option.ipv4_multicast_loop(integer): an int on Linux.
fn s_ipv4_multicast_loop(ruby: &Ruby, value: Value) -> Result<Value, Error> {
    let v = to_int(value)?;
    new_option(
        ruby,
        libc::AF_INET,
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_LOOP,
        ruby.str_from_slice(&v.to_ne_bytes()),
    )
}

/// Socket::Option.ipv4_multicast_ttl(integer): an int on Linux.
fn s_ipv4_multicast_ttl(ruby: &Ruby, value: Value) -> Result<Value, Error> {
    let v = to_int(value)?;
    new_option(
        ruby,
        libc::AF_INET,
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_TTL,
        ruby.str_from_slice(&v.to_ne_bytes()),
    )
}

/// The int of an IPv4 IPPROTO_IP option `optname`, else TypeError naming
/// the method.
fn ipv4_int(ruby: &Ruby, rb_self: Value, optname: i32, what: &str) -> Result<i32, Error> {
    let family = num2int(family(rb_self))?;
    if family != libc::AF_INET
        || level_of(rb_self)? != libc::IPPROTO_IP
        || optname_of(rb_self)? != optname
    {
        return Err(errors::type_error(
            ruby,
            format!("{what} socket option expected"),
        ));
    }
    int_data(ruby, rb_self)
}

fn ipv4_multicast_loop(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    ipv4_int(
        ruby,
        rb_self,
        libc::IP_MULTICAST_LOOP,
        "ipv4_multicast_loop",
    )
}

fn ipv4_multicast_ttl(ruby: &Ruby, rb_self: Value) -> Result<i32, Error> {
    ipv4_int(ruby, rb_self, libc::IP_MULTICAST_TTL, "ipv4_multicast_ttl")
}

/// Socket::Option#inspect, as stock.
fn inspect(rb_self: Value) -> Result<RString, Error> {
    let family = num2int(family(rb_self))?;
    let level = level_of(rb_self)?;
    let optname = optname_of(rb_self)?;
    let data = data(rb_self)?;
    // SAFETY: the class name is copied before any other Ruby call.
    let class_name = unsafe { rb_self.classname() }.into_owned();
    let head = format!(
        "#<{class_name}: {}",
        option_inspect::names(family, level, optname)
    );
    // SAFETY: the bytes are read at once, before any other Ruby call.
    let decoded = option_inspect::value(family, level, optname, unsafe { data.as_slice() });
    let out = Ruby::get_with(rb_self).str_new(&head);
    match decoded {
        Some(v) => out.cat(v.as_bytes()),
        None => {
            // SAFETY: rb_str_dump allocates; it raises only on memory errors.
            let raw = protect(|| unsafe { rb_sys::rb_str_dump(data.as_raw()) })?;
            // SAFETY: rb_str_dump returns a String.
            let dumped = RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String");
            out.cat(b" ");
            out.buf_append(dumped)?;
        }
    }
    out.cat(b">");
    Ok(out)
}

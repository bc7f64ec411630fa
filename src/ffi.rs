//! Guards for calls into Ruby's C API: the one place that turns a Ruby raise
//! (a longjmp) into an `Error`, and small conversions every module needs.
//! Imports nothing else of the crate.

use magnus::{
    prelude::*,
    rb_sys::{AsRawId, AsRawValue, FromRawValue},
    value::LazyId,
    Error, Ruby, Value,
};
use rb_sys::VALUE;

/// Runs a C call that may raise (a longjmp) and turns the raise into an
/// `Error`. The closure must own nothing that needs dropping: a raise skips
/// its frames.
pub fn protect<T: Copy + Default>(f: impl FnOnce() -> T) -> Result<T, Error> {
    let mut out = T::default();
    magnus::rb_sys::protect(|| {
        out = f();
        rb_sys::Qnil as VALUE
    })?;
    Ok(out)
}

/// A Symbol interned once (`:wait_readable` and the like, returned on hot
/// paths): `static S: LazyId = LazyId::new("name"); symbol(ruby, &S)`.
pub fn symbol(ruby: &Ruby, id: &magnus::value::LazyId) -> Value {
    let id = magnus::value::LazyId::get_inner_with(id, ruby);
    // SAFETY: rb_id2sym of a valid ID does not raise.
    unsafe { Value::from_raw(rb_sys::rb_id2sym(magnus::rb_sys::AsRawId::as_raw(id))) }
}

// Hidden instance variables: names without "@" are invisible to Ruby code
// (Socket::Option and Socket::AncillaryData keep their fields so, as
// stock). Names are interned once: rb_intern on every access showed in
// profiles.

fn hidden_id(obj: Value, name: &LazyId) -> rb_sys::ID {
    LazyId::get_inner_with(name, &Ruby::get_with(obj)).as_raw()
}

/// A hidden instance variable, nil when unset.
pub fn hidden_ivar_get(obj: Value, name: &LazyId) -> Value {
    // SAFETY: rb_attr_get reads an ivar (nil when unset); it does not raise.
    unsafe { Value::from_raw(rb_sys::rb_attr_get(obj.as_raw(), hidden_id(obj, name))) }
}

/// Sets a hidden instance variable: FrozenError on a frozen object.
pub fn hidden_ivar_set(obj: Value, name: &LazyId, value: Value) -> Result<(), Error> {
    let id = hidden_id(obj, name);
    if obj.is_frozen() {
        // SAFETY: rb_ivar_set raises FrozenError on a frozen object; protect
        // catches it.
        protect(|| unsafe { rb_sys::rb_ivar_set(obj.as_raw(), id, value.as_raw()) })?;
    } else {
        // SAFETY: on an object that is not frozen rb_ivar_set does not raise.
        unsafe { rb_sys::rb_ivar_set(obj.as_raw(), id, value.as_raw()) };
    }
    Ok(())
}

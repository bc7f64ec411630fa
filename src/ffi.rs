//! Guards for calls into Ruby's C API: the one place that turns a Ruby raise
//! (a longjmp) into an `Error`, and small conversions every module needs.
//! Imports nothing else of the crate.

use magnus::{rb_sys::FromRawValue, Error, Ruby, Value};
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

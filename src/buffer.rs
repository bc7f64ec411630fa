//! How a Ruby String is held while a system call reads or writes it: the
//! receive buffer made writable and locked (a drop guard unlocks it), the
//! send message pinned when the GVL is released. io_bridge's retry loop
//! holds the buffers through these; nothing else touches String internals.

use crate::ffi::protect;
use magnus::{prelude::*, rb_sys::AsRawValue, rb_sys::FromRawValue, Error, RString, Value};

/// A new String of `len` bytes of room and length `len` (the caller sets
/// the length once it knows it). `len` must fit a Ruby length.
pub fn with_room(len: usize) -> RString {
    // SAFETY: with a length that is not negative rb_str_new only allocates
    // (no protect: it showed in profiles of hot loops).
    let raw = unsafe { rb_sys::rb_str_new(std::ptr::null(), len as _) };
    // SAFETY: rb_str_new returns a String.
    RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String")
}

/// Makes `s` writable (unshared, not frozen) with room for `len` bytes
/// (none added for a negative one): FrozenError, and the rest of what
/// rb_str_modify raises, as an Error.
pub fn make_room(s: RString, len: i64) -> Result<(), Error> {
    let have = s.len() as i64;
    // SAFETY: both raise (FrozenError, ArgumentError, NoMemoryError) through
    // protect.
    protect(|| unsafe {
        if have >= len {
            rb_sys::rb_str_modify(s.as_raw());
        } else {
            rb_sys::rb_str_modify_expand(s.as_raw(), (len - have) as _);
        }
    })
}

/// Sets the length of a receive buffer after `n` bytes were written.
///
/// # Safety
/// `s` must have room for `n` bytes, all of them written.
pub unsafe fn set_len(s: RString, n: usize) -> RString {
    // SAFETY: the caller vouches for the room and the bytes.
    unsafe { rb_sys::rb_str_set_len(s.as_raw(), n as _) };
    s
}

/// The bytes of a receive buffer, for a write with the GVL held and no
/// Ruby call until its length is set.
pub fn room_of(s: RString) -> *mut u8 {
    // SAFETY: reads the pointer of a live String.
    unsafe { rb_sys::RSTRING_PTR(s.as_raw()) as *mut u8 }
}

/// What tells whether a String changed: its flags (frozen, shared,
/// embedded...), buffer, length and capacity.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct State(rb_sys::VALUE, usize, usize, usize);

impl State {
    pub fn of(s: RString) -> State {
        let raw = s.as_raw();
        // SAFETY: reads of a live String's header; rb_str_capacity does not
        // raise.
        unsafe {
            State(
                (*(raw as *const rb_sys::RBasic)).flags,
                rb_sys::RSTRING_PTR(raw) as usize,
                rb_sys::RSTRING_LEN(raw) as usize,
                rb_sys::rb_str_capacity(raw) as usize,
            )
        }
    }
}

/// string.c's STR_TMPLOCK, the flag rb_str_locktmp sets.
const STR_TMPLOCK: rb_sys::VALUE = rb_sys::ruby_fl_type::RUBY_FL_USER7 as rb_sys::VALUE;

/// A String locked against changes by other threads (rb_str_locktmp) for
/// as long as the guard lives: its bytes stay where they are even with the
/// GVL released. Dropping the guard unlocks it, on every path out.
pub struct Locked(RString);

impl Locked {
    /// Locks `s`. RuntimeError ("temporal locking already locked string")
    /// when it is locked already, as stock.
    pub fn new(s: RString) -> Result<Locked, Error> {
        // SAFETY: reading the flags word of a live String object.
        let flags = unsafe { (*(s.as_raw() as *const rb_sys::RBasic)).flags };
        if flags & STR_TMPLOCK != 0 {
            // SAFETY: raises RuntimeError; protect catches it. Only this case
            // pays for rb_protect: a receive buffer is almost always new.
            protect(|| unsafe { rb_sys::rb_str_locktmp(s.as_raw()) })?;
        } else {
            // SAFETY: the string is not locked, so rb_str_locktmp cannot raise.
            unsafe { rb_sys::rb_str_locktmp(s.as_raw()) };
        }
        Ok(Locked(s))
    }

    pub fn ptr(&self) -> *mut u8 {
        room_of(self.0)
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: `new` locked it; unlocking a locked string does not raise.
        unsafe { rb_sys::rb_str_unlocktmp(self.0.as_raw()) };
    }
}

/// Messages up to this size are copied to the stack when a send releases
/// the GVL: cheaper than a frozen Ruby copy (an allocation per send).
const SHORT_SEND: usize = 512;

/// What a send reads when the GVL is released (see `send_bytes`).
// The large variant is the point: a stack copy instead of an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Pinned {
    Short([u8; SHORT_SEND], usize),
    Frozen(RString),
}

impl Pinned {
    /// Called with the GVL held.
    fn of(mesg: &RString) -> Pinned {
        // SAFETY: copied out at once, with the GVL held.
        let bytes = unsafe { mesg.as_slice() };
        if bytes.len() <= SHORT_SEND {
            let mut copy = [0u8; SHORT_SEND];
            copy[..bytes.len()].copy_from_slice(bytes);
            return Pinned::Short(copy, bytes.len());
        }
        // SAFETY: rb_str_new_frozen only allocates (NoMemoryError aside).
        let raw = unsafe { rb_sys::rb_str_new_frozen(mesg.as_raw()) };
        // SAFETY: it returns a String.
        Pinned::Frozen(RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String"))
    }
}

/// The bytes a send reads from `mesg`. When the GVL is to be released,
/// another thread could modify the string and free or move its buffer
/// meanwhile: the send then reads a short message from a stack copy, and a
/// longer one from a frozen copy, which shares the buffer (no copy) and
/// keeps it alive and unchanged, the original getting its own buffer if it
/// changes. A frozen message is read in place. Called with the GVL held;
/// the caller keeps `mesg` and `pinned` in its frame (the GC scans the
/// stack) until the call is over.
pub fn send_bytes<'a>(
    mesg: &'a RString,
    pinned: &'a mut Option<Pinned>,
    release: bool,
) -> &'a [u8] {
    if !release || mesg.is_frozen() {
        // SAFETY: read with the GVL held during one call, or frozen; `mesg`
        // lives in the caller's frame, so the GC neither frees nor moves it.
        return unsafe { mesg.as_slice() };
    }
    match pinned.get_or_insert_with(|| Pinned::of(mesg)) {
        Pinned::Short(copy, len) => &copy[..*len],
        // SAFETY: frozen, and referenced from the caller's frame (see above).
        Pinned::Frozen(s) => unsafe { s.as_slice() },
    }
}

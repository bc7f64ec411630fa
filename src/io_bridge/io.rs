//! The rb_io_t of a socket IO: its descriptor, mode bits, buffers and
//! path, and making an IO own a new descriptor (and give it back).

use crate::core::sys::{self};
use crate::errors;
use crate::ffi::protect;
use magnus::{
    rb_sys::{AsRawValue, FromRawValue},
    Error, RClass, Ruby, Value,
};
use rb_sys::rb_io_t;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// FMODE_NOREVLOOKUP of stock's rubysocket.h: the per-socket
/// do_not_reverse_lookup flag lives in the IO's mode bits.
pub const FMODE_NOREVLOOKUP: i32 = 0x100;

/// The process-wide default for new sockets' FMODE_NOREVLOOKUP
/// (BasicSocket.do_not_reverse_lookup, true by default since Ruby 1.9).
static DO_NOT_REVERSE_LOOKUP: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(true);

pub fn default_do_not_reverse_lookup() -> bool {
    DO_NOT_REVERSE_LOOKUP.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn set_default_do_not_reverse_lookup(value: bool) {
    DO_NOT_REVERSE_LOOKUP.store(value, std::sync::atomic::Ordering::Relaxed)
}

pub fn is_io(value: Value) -> bool {
    // SAFETY: reading the builtin type of any VALUE is always valid.
    unsafe { rb_sys::RB_TYPE_P(value.as_raw(), rb_sys::ruby_value_type::RUBY_T_FILE) }
}

/// The rb_io_t behind an IO object, or None if it has none (uninitialized).
fn fptr(value: Value) -> Option<*mut rb_io_t> {
    if !is_io(value) {
        return None;
    }
    // SAFETY: a T_FILE object is an RFile; its fptr may be null before
    // initialization, which the caller checks.
    let ptr = unsafe { (*(value.as_raw() as *const rb_sys::RFile)).fptr };
    (!ptr.is_null()).then_some(ptr)
}

/// The number of a socket object's open fd, to check that it is open or to
/// pass it in a message; IOError "closed stream" when closed. System calls
/// take the fd from `with_fd`.
pub fn fd(ruby: &Ruby, io: Value) -> Result<RawFd, Error> {
    let Some(ptr) = fptr(io) else {
        return Err(errors::io_error_message(ruby, "uninitialized stream"));
    };
    // SAFETY: ptr is the live rb_io_t of `io`, which the caller keeps alive.
    let fd = unsafe { (*ptr).fd };
    if fd < 0 {
        return Err(errors::closed_stream(ruby));
    }
    Ok(fd)
}

/// Runs `call` on the open fd of a socket object, borrowed for the call;
/// IOError "closed stream" (as `fd`) when it is closed. `call` makes system
/// calls and runs no Ruby code, which could close the IO.
// Inlined: `run` calls it on every try of a send or receive.
#[inline(always)]
pub fn with_fd<R>(
    ruby: &Ruby,
    io: Value,
    call: impl FnOnce(BorrowedFd<'_>) -> R,
) -> Result<R, Error> {
    let raw = fd(ruby, io)?;
    // SAFETY: `raw` is the fd of `io`, just read as open (so not -1). The
    // IO is alive: the caller holds `io`, a VALUE on its stack, which the GC
    // sees. Only Ruby code closes an IO, and `call` runs none, so with the
    // GVL held the fd stays open for the borrow. A call made with the GVL
    // released (`attempt`) can meet a close from another thread: it then
    // gets EBADF, or works on whatever file reused the number, and `run`
    // raises IOError ("closed in another thread") after it, as stock does.
    Ok(call(unsafe { BorrowedFd::borrow_raw(raw) }))
}

/// The fd of an IO, None when it is closed or not initialized.
pub(super) fn open_fd(io: Value) -> Option<RawFd> {
    // SAFETY: as in `fd`.
    fptr(io)
        .map(|ptr| unsafe { (*ptr).fd })
        .filter(|&fd| fd >= 0)
}

/// The mode bits (FMODE_*) of an rb_io_t, as the int they are. The field
/// is an `int` up to Ruby 3.4 and an `enum rb_io_mode` from 4.0: a C enum
/// of int size used as a bit set, which rb-sys turns into a Rust enum that
/// may hold only its named values. Read or written as that enum, a
/// combination of bits would be undefined behaviour; through this pointer
/// it is the C int it is on every Ruby.
///
/// # Safety
/// `ptr` must be the live rb_io_t of an IO, used with the GVL held.
unsafe fn mode_bits(ptr: *mut rb_sys::rb_io_t) -> *mut libc::c_int {
    const _: () = assert!(std::mem::size_of::<libc::c_int>() == 4);
    // SAFETY: the caller's pointer is live; the field is int-sized on every
    // Ruby (an int, or a C enum whose values fit an int).
    unsafe { std::ptr::addr_of_mut!((*ptr).mode).cast::<libc::c_int>() }
}

/// The IO's mode bits (FMODE_*), for an open IO.
pub fn mode(ruby: &Ruby, io: Value) -> Result<i32, Error> {
    fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: as in `fd`.
    Ok(unsafe { *mode_bits(ptr) })
}

/// Changes mode bits of an open IO: clears `clear`, then sets `set`.
pub fn update_mode(ruby: &Ruby, io: Value, clear: i32, set: i32) -> Result<(), Error> {
    fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: as in `fd`; the GVL is held, so nobody else writes the mode.
    unsafe { *mode_bits(ptr) = (*mode_bits(ptr) & !clear) | set };
    Ok(())
}

// stock's rubysocket.h: the family of a socket, cached in the IO's mode
// bits by rsock_getfamily once getsockname told it.
const FMODE_UNIX: i32 = 0x0020_0000;
const FMODE_INET: i32 = 0x0040_0000;
const FMODE_INET6: i32 = 0x0080_0000;
const FMODE_SOCK: i32 = FMODE_UNIX | FMODE_INET | FMODE_INET6;

/// stock's rsock_getfamily: the family of the socket's local address,
/// AF_UNSPEC when it cannot be read. Cached in the mode bits as stock does,
/// so getsockopt/setsockopt make no getsockname call after the first.
pub fn family(ruby: &Ruby, io: Value) -> Result<i32, Error> {
    with_fd(ruby, io, |fd| {
        let ptr = fptr(io).expect("checked by with_fd");
        // SAFETY: as in `fd`; the GVL is held, so nobody else writes the mode.
        let cached = unsafe { *mode_bits(ptr) } & FMODE_SOCK;
        match cached {
            FMODE_UNIX => return libc::AF_UNIX,
            FMODE_INET => return libc::AF_INET,
            FMODE_INET6 => return libc::AF_INET6,
            _ => {}
        }
        let family = match sys::local_addr(fd) {
            Ok(addr) if addr.len() >= 2 => crate::core::sockaddr::family(&addr),
            _ => return libc::AF_UNSPEC,
        };
        let bit = match family {
            libc::AF_UNIX => FMODE_UNIX,
            libc::AF_INET => FMODE_INET,
            libc::AF_INET6 => FMODE_INET6,
            _ => 0,
        };
        // SAFETY: as above.
        unsafe { *mode_bits(ptr) |= bit };
        family
    })
}

/// Whether the IO's read buffer holds bytes (recv must refuse then, as stock).
pub fn read_pending(io: Value) -> bool {
    // SAFETY: as in `fd`.
    fptr(io).is_some_and(|p| unsafe { (*p).rbuf.len > 0 })
}

/// Moves up to `len` bytes of the IO's read buffer to `dst` (stock's
/// read_buffered_data for BasicSocket#read_nonblock); returns how many.
pub fn take_buffered(io: Value, dst: *mut u8, len: usize) -> usize {
    let Some(p) = fptr(io) else { return 0 };
    // SAFETY: p is the live rb_io_t; rbuf holds rbuf.len bytes at ptr+off;
    // dst has room for len bytes (the caller's string buffer); GVL held.
    unsafe {
        let rbuf = &mut (*p).rbuf;
        let n = (rbuf.len.max(0) as usize).min(len);
        if n == 0 {
            return 0;
        }
        std::ptr::copy_nonoverlapping(rbuf.ptr.add(rbuf.off as usize).cast::<u8>(), dst, n);
        rbuf.off += n as i32;
        rbuf.len -= n as i32;
        n
    }
}

/// rb_io_check_writable, then a flush of pending buffered writes (a socket
/// is sync, so normally there are none), as write_nonblock does.
pub fn prepare_write(ruby: &Ruby, io: Value) -> Result<(), Error> {
    fd(ruby, io)?;
    let p = fptr(io).expect("checked by fd");
    // SAFETY: rb_io_check_writable raises IOError when not writable;
    // protect catches it.
    protect(|| unsafe { rb_sys::rb_io_check_writable(p) })?;
    // SAFETY: as above; wbuf is read with the GVL held.
    if unsafe { (*p).wbuf.len } > 0 {
        // SAFETY: rb_io_flush may raise; protect catches it.
        protect(|| unsafe { rb_sys::rb_io_flush(io.as_raw()) })?;
    }
    fd(ruby, io)?;
    Ok(())
}

/// Makes `obj` (an allocated BasicSocket) own `fd`, set up as stock's
/// rsock_init_sock does: read-write, duplex, binmode, sync, with the
/// do_not_reverse_lookup default. The IO owns the fd from then on; on
/// error it is dropped (closed).
pub fn init_sock(ruby: &Ruby, obj: Value, fd: OwnedFd) -> Result<Value, Error> {
    if !is_io(obj) {
        return Err(errors::type_error(ruby, "not an IO"));
    }
    // rb_io_make_open_file raises on a frozen IO, and on an open one it
    // closes the old descriptor first, which can raise too (`initialize`
    // called again by hand): protect catches that, and the new fd, owned by
    // nothing yet, is closed rather than leaked.
    // SAFETY: protect runs the call and owns nothing in the frames a raise
    // would skip.
    let made = protect(|| unsafe { rb_sys::rb_io_make_open_file(obj.as_raw()) as usize });
    let fp = made? as *mut rb_sys::rb_io_t;
    // The IO owns it now: its close and finalizer close it.
    let fd = fd.into_raw_fd();
    // SAFETY: rb_update_max_fd only records the number; fp is the rb_io_t
    // just made, and the fields written are the ones MakeOpenFile leaves for
    // the caller; rb_io_ascii8bit_binmode and rb_io_synchronized only set
    // flags and encodings.
    unsafe {
        rb_sys::rb_update_max_fd(fd);
        (*fp).fd = fd;
        *mode_bits(fp) = (rb_sys::FMODE_READWRITE | rb_sys::FMODE_DUPLEX) as i32;
        rb_sys::rb_io_ascii8bit_binmode(obj.as_raw());
        if default_do_not_reverse_lookup() {
            *mode_bits(fp) |= FMODE_NOREVLOOKUP;
        }
        rb_sys::rb_io_synchronized(fp);
    }
    Ok(obj)
}

/// A new object of `class` (a BasicSocket subclass) owning `fd`.
pub fn wrap_fd(ruby: &Ruby, class: RClass, fd: OwnedFd) -> Result<Value, Error> {
    // SAFETY: rb_obj_alloc on an IO subclass allocates an uninitialized IO;
    // it does not raise for a class that has an allocator.
    let obj = unsafe { Value::from_raw(rb_sys::rb_obj_alloc(class.as_raw())) };
    init_sock(ruby, obj, fd)
}

/// The IO's path (fptr->pathv), which IO#inspect prints; None when unset.
pub fn pathv(io: Value) -> Option<magnus::RString> {
    let ptr = fptr(io)?;
    // SAFETY: ptr is the live rb_io_t of `io`; pathv is nil or a String.
    let v = unsafe { Value::from_raw((*ptr).pathv) };
    magnus::RString::from_value(v)
}

/// Sets the IO's path to a frozen copy of `path`, as stock does for UNIX
/// sockets (IO#inspect then shows it).
pub fn set_pathv(ruby: &Ruby, io: Value, path: magnus::RString) -> Result<(), Error> {
    fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: rb_str_new_frozen only allocates; the rb_io_t is live and its
    // pathv slot is marked by the IO's GC mark function.
    unsafe { (*ptr).pathv = rb_sys::rb_str_new_frozen(path.as_raw()) };
    Ok(())
}

/// Takes the IO's fd back from it, which is left closed (neither its close
/// nor its finalizer touches the descriptor again): for a setup that failed
/// after the IO took the fd (dropped then), or to move it elsewhere.
pub fn detach_fd(io: Value) -> Option<OwnedFd> {
    let ptr = fptr(io)?;
    // SAFETY: the rb_io_t is live and the GVL held.
    let fd = unsafe { std::mem::replace(&mut (*ptr).fd, -1) };
    // SAFETY: the IO owned `fd` and has just given it up (fd -1): it is
    // owned here alone.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Moves the fd of `from` (an open socket IO) into `to`, set up as a new
/// socket; `from` is left closed. For sockets made by Ruby code (Happy
/// Eyeballs) that a native class adopts.
pub fn adopt_fd(ruby: &Ruby, to: Value, from: Value) -> Result<Value, Error> {
    fd(ruby, from)?;
    let fd = detach_fd(from).expect("open, checked above");
    init_sock(ruby, to, fd)
}

/// A plain IO owning a received descriptor that is not a socket, as stock's
/// rb_io_fdopen(fd, O_RDWR). The fd is closed (dropped) if that raises.
pub fn fdopen(fd: OwnedFd) -> Result<Value, Error> {
    let raw_fd = fd.as_raw_fd();
    // SAFETY: rb_io_fdopen allocates an IO for fd and may raise (NoMemoryError);
    // protect catches it.
    let raw = protect(|| unsafe { rb_sys::rb_io_fdopen(raw_fd, libc::O_RDWR, std::ptr::null()) })?;
    // The IO owns it now.
    let _ = fd.into_raw_fd();
    // SAFETY: rb_io_fdopen returns an IO object.
    Ok(unsafe { Value::from_raw(raw) })
}

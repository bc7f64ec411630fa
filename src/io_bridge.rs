//! The one owner of "how a Ruby IO wraps a socket fd" and "how we wait".
//!
//! Sockets are created close-on-exec and non-blocking, as the stock extension
//! does on Ruby 3.x. A call is tried with the GVL held (it cannot block: the
//! fd is non-blocking or the call passes MSG_DONTWAIT); on EAGAIN it waits
//! with rb_io_wait, which releases the GVL, honours a fiber scheduler, and is
//! woken by Thread#kill, Thread#raise, Timeout and by a close from another
//! thread, then it tries again. rb_io_wait raises in those cases, so it is
//! called through `errors::protect` with no owning Rust values in between.

use crate::buffer;
pub use crate::core::sys::socket_type;
use crate::core::sys::{self, pending_error, SockAddrBuf};
use crate::errors;
use crate::ffi::protect;
use magnus::{
    rb_sys::{AsRawValue, FromRawValue},
    Error, RClass, RString, Ruby, Value,
};
use rb_sys::rb_io_t;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// FMODE_NOREVLOOKUP of stock's rubysocket.h: the per-socket
/// do_not_reverse_lookup flag lives in the IO's mode bits.
pub const FMODE_NOREVLOOKUP: i32 = 0x100;

/// rb_io_wait's event bits (RUBY_IO_READABLE, RUBY_IO_WRITABLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Readable = 1,
    Writable = 4,
}

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

/// The open fd of a socket object; IOError "closed stream" when closed.
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

/// The fd of an IO, None when it is closed or not initialized.
fn open_fd(io: Value) -> Option<RawFd> {
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
    let fd = fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: as in `fd`; the GVL is held, so nobody else writes the mode.
    let cached = unsafe { *mode_bits(ptr) } & FMODE_SOCK;
    match cached {
        FMODE_UNIX => return Ok(libc::AF_UNIX),
        FMODE_INET => return Ok(libc::AF_INET),
        FMODE_INET6 => return Ok(libc::AF_INET6),
        _ => {}
    }
    let family = match sys::local_addr(fd) {
        Ok(addr) if addr.len() >= 2 => crate::core::sockaddr::family(&addr),
        _ => return Ok(libc::AF_UNSPEC),
    };
    let bit = match family {
        libc::AF_UNIX => FMODE_UNIX,
        libc::AF_INET => FMODE_INET,
        libc::AF_INET6 => FMODE_INET6,
        _ => 0,
    };
    // SAFETY: as above.
    unsafe { *mode_bits(ptr) |= bit };
    Ok(family)
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
pub fn prepare_write(ruby: &Ruby, io: Value) -> Result<RawFd, Error> {
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
    fd(ruby, io)
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

/// Waits until `io` is ready, the Ruby way, as stock waits after EAGAIN
/// (rb_io_maybe_wait_readable/writable with the IO's own timeout). Raises
/// (as an Error) when the thread is interrupted or the IO is closed by
/// another thread. Ok(false) when `IO#timeout` passed and the running Ruby
/// leaves the raise to the caller (3.3: Errno::EAGAIN with the call's
/// name); Ruby 3.4 raises IO::TimeoutError here itself.
pub fn wait(io: Value, event: Wait) -> Result<bool, Error> {
    let nil = rb_sys::Qnil as rb_sys::VALUE;
    // SAFETY: both may raise; protect turns that into an Error, and nothing
    // owning lives in this frame.
    let ready = protect(|| unsafe {
        match event {
            Wait::Readable => rb_sys::rb_io_maybe_wait_readable(libc::EAGAIN, io.as_raw(), nil),
            Wait::Writable => rb_sys::rb_io_maybe_wait_writable(libc::EAGAIN, io.as_raw(), nil),
        }
    })?;
    Ok(ready != 0)
}

/// Runs pending interrupts (signal handlers, Thread#raise) after EINTR.
fn check_ints() -> Result<(), Error> {
    // SAFETY: rb_thread_check_ints may raise; protect catches it.
    protect(|| unsafe { rb_sys::rb_thread_check_ints() })
}

/// The outcome of a blocking socket call: the Ruby side failed (interrupt,
/// closed stream) with `Err`, or the system call finished with `Ok(result)`.
pub type Outcome<T> = Result<io::Result<T>, Error>;

/// Whether other Ruby threads exist besides this one.
fn others_exist() -> bool {
    // SAFETY: rb_thread_alone only reads the VM's thread count.
    unsafe { rb_sys::rb_thread_alone() == 0 }
}

/// How a call holds the GVL on each try.
#[derive(Clone, Copy)]
pub enum Gvl {
    /// Held: cheapest, for a call that cannot block and wakes no thread.
    Held,
    /// Released only when other Ruby threads exist (see `attempt`).
    ReleasedWithOthers,
    /// Always released, as stock's BLOCKING_REGION_FD: the fd may be
    /// blocking (BasicSocket.for_fd), so the call itself may block.
    Released,
}

/// What `run` does around the call: which event to wait for after EAGAIN
/// (None: one try, for the *_nonblock methods), how the GVL is held, and
/// whether running out of descriptors is worth a GC and one more try
/// (stock's rb_gc_for_fd).
#[derive(Clone, Copy)]
pub struct Retry {
    pub wait: Option<Wait>,
    pub gvl: Gvl,
    pub gc: bool,
}

impl Retry {
    const fn new(wait: Option<Wait>, gvl: Gvl, gc: bool) -> Retry {
        Retry { wait, gvl, gc }
    }

    /// A send: it may wake a peer thread, which must find the GVL free.
    pub const SEND: Retry = Retry::new(Some(Wait::Writable), Gvl::ReleasedWithOthers, false);
    /// A receive into a String or a long Rust buffer.
    pub const RECEIVE: Retry = Retry::new(Some(Wait::Readable), Gvl::ReleasedWithOthers, false);
    /// A short receive into Rust memory, tried with the GVL held even when
    /// other threads exist. Unlike a send, a receive wakes no peer thread
    /// that would need the GVL, and a short copy costs less than handing the
    /// GVL over and back: with an echo thread, 17 system calls per round trip
    /// instead of 25 (the woken thread finds its data on the first try
    /// instead of polling). Longer receives release the GVL as stock's do.
    pub const SHORT_RECEIVE: Retry = Retry::new(Some(Wait::Readable), Gvl::Held, false);
    /// One try of a send that cannot block (*_nonblock), the GVL released
    /// with other threads around, as for SEND.
    pub const SEND_ONCE: Retry = Retry::new(None, Gvl::ReleasedWithOthers, false);
    /// One try of a receive that cannot block (*_nonblock), with the GVL
    /// held as stock's nonblock receives.
    pub const RECEIVE_ONCE: Retry = Retry::new(None, Gvl::Held, false);
    /// accept(2), waiting for a connection.
    pub const ACCEPT: Retry = Retry::new(Some(Wait::Readable), Gvl::Released, true);
    /// accept(2) once on a listener made non-blocking (accept_nonblock).
    pub const ACCEPT_ONCE: Retry = Retry::new(None, Gvl::Held, true);
}

/// How `run` holds the buffer a call reads or writes across its tries.
#[derive(Clone, Copy)]
pub enum Buffer {
    /// Rust memory, or none: nothing to hold. With the GVL released the call
    /// must write only memory that cannot move meanwhile (the stack, a Vec).
    Own,
    /// A String a receive writes up to `len` bytes into: locked during each
    /// try only, not while waiting (stock's rb_str_locktmp_ensure); if
    /// another thread changed it in between, the next try first makes room
    /// in it again.
    Receive(RString, usize),
    /// A String a send reads: pinned while the GVL is released
    /// (buffer::send_bytes).
    Send(RString),
}

/// What the call gets of its buffer on a try.
pub enum Bytes<'a> {
    None,
    /// Room for that many bytes, for a receive.
    Room(*mut u8, usize),
    /// The message, for a send.
    Message(&'a [u8]),
}

impl<'a> Bytes<'a> {
    /// The message of a `Buffer::Send`.
    pub fn message(&self) -> &'a [u8] {
        match self {
            Bytes::Message(bytes) => bytes,
            _ => unreachable!("a send's call gets its message"),
        }
    }

    /// The room of a `Buffer::Receive`.
    pub fn room(&self) -> (*mut u8, usize) {
        match self {
            Bytes::Room(ptr, len) => (*ptr, *len),
            _ => unreachable!("a receive's call gets its room"),
        }
    }
}

/// The one retry loop: runs `call` on the IO's current fd (re-read on every
/// try, so a close from another thread is noticed) as `how` says, until it
/// reports neither EAGAIN nor EINTR. On EAGAIN it waits for `how.wait` (the
/// IO's own timeout applies: the Ruby-side outcome or Ok(Err(EAGAIN)) when
/// it passed); without one it returns the error after one try. `call` must
/// not block (a non-blocking fd or MSG_DONTWAIT) unless `how.gvl` is
/// `Released`, and must not touch Ruby when the GVL may be released.
// Inlined: each call site names its Retry and Buffer, so the arms it does
// not use fold away (outlined, the loop cost ~50 instructions per call).
#[inline(always)]
pub fn run<T>(
    ruby: &Ruby,
    io: Value,
    how: Retry,
    held: Buffer,
    mut call: impl FnMut(RawFd, Bytes<'_>) -> io::Result<T>,
) -> Outcome<T> {
    let prepared = match held {
        Buffer::Receive(s, _) => Some(buffer::State::of(s)),
        _ => None,
    };
    let mut pinned = None;
    let mut collected = false;
    loop {
        let fd = fd(ruby, io)?;
        let release = match how.gvl {
            Gvl::Held => false,
            Gvl::ReleasedWithOthers => others_exist(),
            Gvl::Released => true,
        };
        let result = match held {
            Buffer::Own => attempt(fd, release, &mut |fd| call(fd, Bytes::None))?,
            Buffer::Send(mesg) => {
                let bytes = buffer::send_bytes(&mesg, &mut pinned, release);
                let result = attempt(fd, release, &mut |fd| call(fd, Bytes::Message(bytes)))?;
                // The pinned copy stays referenced from this frame (where the
                // GC looks) until the call is over.
                std::hint::black_box(&pinned);
                result
            }
            Buffer::Receive(s, len) => {
                if prepared != Some(buffer::State::of(s)) {
                    buffer::make_room(s, len as i64)?;
                }
                // Unlocked when it goes out of scope, after the try or on
                // the way out with an interrupt.
                let locked = buffer::Locked::new(s)?;
                let ptr = locked.ptr();
                attempt(fd, release, &mut |fd| call(fd, Bytes::Room(ptr, len)))?
            }
        };
        // Closed by another thread while the GVL was released: what the
        // call got is dropped (a new fd closed), as stock raises there too.
        if release && open_fd(io) != Some(fd) {
            return Err(errors::closed_in_another_thread(ruby));
        }
        let err = match result {
            Ok(v) => return Ok(Ok(v)),
            Err(e) => e,
        };
        match (err.raw_os_error(), how.wait) {
            (Some(libc::EINTR), Some(_)) => check_ints()?,
            (Some(libc::EAGAIN), Some(event)) if wait(io, event)? => {}
            _ if how.gc && !collected && out_of_fds(&err) => {
                collected = true;
                gc_for_fd();
            }
            _ => return Ok(Err(err)),
        }
    }
}

/// One try of a call. Alone (`release` false), it runs with the GVL held:
/// cheapest. With other threads around, a send or receive runs with the GVL
/// released, as stock's blocking region does: the call may wake a peer
/// thread (the other end of a socketpair, an echo server) which must find
/// the GVL free; with it held, the woken thread sleeps on the GVL again
/// until we wait, and a ping-pong between two threads on one CPU ran at half
/// of stock's speed (bench/NOTES.md). When released, `call` must not touch
/// Ruby: no Ruby API, and only buffers that cannot move or be freed
/// meanwhile (a locked string, a pinned copy, Rust memory). Err when an
/// interrupt was pending before the call, which then was not made; once
/// made, its result is returned (see `without_gvl`).
fn attempt<T>(
    fd: RawFd,
    release: bool,
    call: &mut impl FnMut(RawFd) -> io::Result<T>,
) -> Outcome<T> {
    if !release {
        return Ok(call(fd));
    }
    let mut result = None;
    without_gvl(&mut || result = Some(call(fd)))?;
    Ok(result.expect("without_gvl made the call or raised"))
}

/// Runs the GC so unreachable IOs release their descriptors, as stock's
/// rb_gc_for_fd does when a call hits the descriptor limit.
pub fn gc_for_fd() {
    // SAFETY: rb_gc runs a full collection; it does not raise.
    unsafe { rb_sys::rb_gc() };
}

/// Whether a descriptor-creating call failed for want of descriptors (or
/// memory), which a GC may free: stock's rb_gc_for_fd errnos.
fn out_of_fds(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
    )
}

/// Runs a descriptor-creating call; when the descriptors ran out runs the
/// GC (to finalize unreachable IOs) and tries once more, as stock's
/// rb_gc_for_fd.
fn after_gc_if_out_of_fds<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    match call() {
        Err(e) if out_of_fds(&e) => {
            gc_for_fd();
            call()
        }
        other => other,
    }
}

/// socket(2), close-on-exec and non-blocking, retried after a GC when the
/// descriptors ran out.
pub fn new_socket(domain: i32, socktype: i32, protocol: i32) -> io::Result<OwnedFd> {
    after_gc_if_out_of_fds(|| sys::socket(domain, socktype, protocol))
}

/// socketpair(2), both ends close-on-exec and non-blocking, retried after a
/// GC when the descriptors ran out.
pub fn new_socketpair(domain: i32, socktype: i32, protocol: i32) -> io::Result<(OwnedFd, OwnedFd)> {
    after_gc_if_out_of_fds(|| sys::socketpair(domain, socktype, protocol))
}

/// rb_io_wait with both readable and writable bits, as stock waits for a
/// pending connect; `timeout` in seconds (connect_timeout), None for the
/// IO's own. Ok(false) when `timeout` passed first. Without one, Ruby 3.4
/// applies `IO#timeout` (IO::TimeoutError "Connect timed out!"); older
/// Rubies wait on regardless, as their stock does. From 4.0 either timeout
/// raises IO::TimeoutError "user specified timeout for <addr>".
pub fn wait_connectable(
    ruby: &Ruby,
    io: Value,
    timeout: Option<f64>,
    addr: &[u8],
) -> Result<bool, Error> {
    let events = (Wait::Readable as i64) | (Wait::Writable as i64);
    loop {
        // SAFETY: rb_io_wait may raise; protect catches it. rb_float_new and
        // rb_int2inum only allocate.
        let ready = protect(|| unsafe {
            let timeout = match timeout {
                Some(t) => rb_sys::rb_float_new(t),
                None => rb_sys::Qnil as rb_sys::VALUE,
            };
            rb_sys::rb_io_wait(io.as_raw(), rb_sys::rb_int2inum(events as _), timeout)
        })?;
        if ready != rb_sys::Qfalse as rb_sys::VALUE {
            return Ok(true);
        }
        if crate::compat::timeouts_name_the_place() {
            return Err(errors::user_specified_timeout(
                ruby,
                &errors::place_of(addr),
            ));
        }
        if crate::compat::connect_honours_io_timeout() {
            return Err(errors::io_timeout(ruby, "Connect timed out!"));
        }
        if timeout.is_some() {
            return Ok(false);
        }
    }
}

/// connect(2) to a packed sockaddr, waiting for a non-blocking connect to
/// finish the way stock's wait_connectable does. With a timeout, a connect
/// still pending when it passes is Err(ETIMEDOUT).
pub fn connect(ruby: &Ruby, io: Value, addr: &[u8], timeout: Option<f64>) -> Outcome<()> {
    let fd = fd(ruby, io)?;
    // With the GVL released, as stock's BLOCKING_REGION_FD: a blocking socket
    // (BasicSocket.for_fd) blocks in connect itself, and the connect may wake
    // an accepting thread, which must find the GVL free. Holding the GVL when
    // alone would first need an fcntl(F_GETFL) to know the fd does not block,
    // which costs as much as the release.
    let err = match attempt(fd, true, &mut |fd| sys::connect(fd, addr))? {
        Ok(()) => return Ok(Ok(())),
        Err(e) => e,
    };
    match err.raw_os_error() {
        Some(libc::EINTR | libc::EAGAIN | libc::EINPROGRESS) => {}
        _ => return Ok(Err(err)),
    }
    // Stock reads SO_ERROR once before waiting too, for systems where a
    // refused connect is not reported as readiness. On Linux poll reports a
    // pending error (POLLERR) at once, so the read after the wait gives the
    // same answer, one system call sooner.
    if !wait_connectable(ruby, io, timeout, addr)? {
        return Ok(Err(io::Error::from_raw_os_error(libc::ETIMEDOUT)));
    }
    let fd = self::fd(ruby, io)?;
    match pending_error(fd) {
        Err(e) => Ok(Err(e)),
        Ok(0 | libc::EINTR | libc::EAGAIN | libc::EINPROGRESS | libc::EALREADY | libc::EISCONN) => {
            Ok(Ok(()))
        }
        Ok(e) => Ok(Err(io::Error::from_raw_os_error(e))),
    }
}

/// rb_io_set_nonblock: the *_nonblock methods switch the fd to non-blocking
/// mode for good, as stock does.
pub fn set_nonblock(ruby: &Ruby, io: Value) -> Result<RawFd, Error> {
    let fd = fd(ruby, io)?;
    // A failure leaves the fd as it was, as stock's rb_io_set_nonblock.
    let _ = sys::set_nonblocking(fd);
    Ok(fd)
}

/// Ruby's RUBY_UBF_IO, `(rb_unblock_function_t *)-1`: the unblocking
/// function that interrupts a thread in a system call with a signal
/// (Thread#kill, Thread#raise, Timeout), as stock's blocking regions use.
fn ubf_io() -> rb_sys::rb_unblock_function_t {
    // SAFETY: Ruby compares this pointer with -1 and never calls it; a fn
    // pointer only has to be non-null to be valid.
    Some(unsafe {
        std::mem::transmute::<usize, unsafe extern "C" fn(*mut libc::c_void)>(usize::MAX)
    })
}

/// What `without_gvl` hands its callback: the call, whether it ran, and
/// the payload of a panic it raised, kept until the GVL is back.
struct Blocking<'a> {
    call: &'a mut dyn FnMut(),
    ran: bool,
    panic: Option<Box<dyn std::any::Any + Send>>,
}

/// The callback of `without_gvl`. A panic must not unwind through Ruby's C
/// frames: it is caught here and resumed by `without_gvl` once the GVL is
/// held again (wasmtime-rb's nogvl pattern).
///
/// # Safety
/// `data` must be the `&mut Blocking` that `without_gvl` passes.
unsafe extern "C" fn run_blocking(data: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `data` is the `&mut Blocking` passed by `without_gvl`, alive
    // for the whole call and used by no one else meanwhile.
    let blocking = unsafe { &mut *(data as *mut Blocking) };
    blocking.ran = true;
    let call = std::panic::AssertUnwindSafe(&mut *blocking.call);
    if let Err(payload) = std::panic::catch_unwind(call) {
        blocking.panic = Some(payload);
    }
    std::ptr::null_mut()
}

/// How often `without_gvl` lets a pending interrupt in before it makes the
/// call with the GVL held.
const INTERRUPTED_TRIES: usize = 3;

/// Runs `call` (plain libc, no Ruby calls) with the GVL released, through
/// Ruby's public rb_thread_call_without_gvl2 with RUBY_UBF_IO: a call that
/// blocks is interrupted by Thread#kill/raise and Timeout like stock's
/// blocking region. Unlike stock's, no interrupt is checked once the call
/// has run: what the kernel handed over (bytes, a descriptor, a message's
/// rights) is returned, and a pending interrupt is raised at the next check
/// point. When an interrupt is pending before the call, the call is not
/// made and the interrupt is raised here; one that Thread.handle_interrupt
/// defers lets the call go on. A panic in `call` resumes here, with the GVL
/// held, and reaches the method wrapper as a Rust panic, never Ruby's
/// frames.
///
/// The internal rb_thread_io_blocking_region that stock uses also makes a
/// close of the fd from another thread wait for the call and raise IOError
/// in it; its signature changed in Ruby 4.0. socket_rs's calls do not wait
/// in the kernel (non-blocking fds; waiting is `rb_io_wait`, which raises
/// that IOError), and `run` raises it when the IO was closed meanwhile.
fn without_gvl(call: &mut dyn FnMut()) -> Result<(), Error> {
    let mut blocking = Blocking {
        call,
        ran: false,
        panic: None,
    };
    for _ in 0..INTERRUPTED_TRIES {
        let data = (&mut blocking as *mut Blocking).cast::<libc::c_void>();
        // SAFETY: run_blocking gets the `Blocking` of this frame, which
        // outlives the call; rb_thread_call_without_gvl2 does not raise (it
        // returns without calling when an interrupt is pending).
        unsafe {
            rb_sys::rb_thread_call_without_gvl2(
                Some(run_blocking),
                data,
                ubf_io(),
                std::ptr::null_mut(),
            )
        };
        if let Some(payload) = blocking.panic.take() {
            std::panic::resume_unwind(payload);
        }
        if blocking.ran {
            return Ok(());
        }
        check_ints()?;
    }
    // Interrupts keep arriving and stay deferred: one try with the GVL held
    // (the call does not wait: the fd is non-blocking).
    (blocking.call)();
    Ok(())
}

/// accept4(2), the new fd close-on-exec and non-blocking: waiting for a
/// connection (Retry::ACCEPT) or one try (Retry::ACCEPT_ONCE). Returns the
/// fd, now the caller's, and the peer's packed sockaddr.
pub fn accept(ruby: &Ruby, io: Value, how: Retry) -> Outcome<(OwnedFd, SockAddrBuf)> {
    Ok(
        run(ruby, io, how, Buffer::Own, |fd, _| sys::accept4(fd))?.inspect(|(fd, _)| {
            // SAFETY: recording a new fd number does not raise.
            unsafe { rb_sys::rb_update_max_fd(fd.as_raw_fd()) };
        }),
    )
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

/// Waits until a bare descriptor (one no Ruby IO wraps, such as the eventfd
/// of a resolver thread) is readable: GVL released, interruptible by
/// Thread#kill/raise and Timeout (that raise comes back as Err). `timeout`
/// in seconds, None to wait forever; Ok(false) when it passed first.
///
/// rb_thread_fd_select rather than rb_wait_for_single_fd: under a fiber
/// scheduler the latter hands the scheduler an IO made around the fd, which
/// would then own (and may close) a descriptor that is not Ruby's. Stock 3.1
/// blocks the thread while resolving under a scheduler too.
pub fn wait_fd_readable(fd: RawFd, timeout: Option<f64>) -> Result<bool, Error> {
    let deadline = timeout
        .map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t.clamp(0.0, 1e9)));
    loop {
        let mut tv = deadline.map(|d| {
            let left = d.saturating_duration_since(std::time::Instant::now());
            rb_sys::timeval {
                tv_sec: left.as_secs() as _,
                tv_usec: left.subsec_micros() as _,
            }
        });
        let tv_ptr = tv
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut rb_sys::timeval);
        let mut set = std::mem::MaybeUninit::<rb_sys::rb_fdset_t>::uninit();
        let set_ptr = set.as_mut_ptr();
        // SAFETY: rb_fd_init allocates the set (it may raise NoMemoryError,
        // and rb_thread_fd_select raises on interrupts: protect catches
        // both). The set is released with rb_fd_term whatever happened,
        // once initialized; tv lives in this frame and owns nothing.
        let mut initialized = false;
        // SAFETY: as said above.
        let ret = protect(|| unsafe {
            rb_sys::rb_fd_init(set_ptr);
            initialized = true;
            rb_sys::rb_fd_set(fd, set_ptr);
            rb_sys::rb_thread_fd_select(
                fd + 1,
                set_ptr,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                tv_ptr,
            )
        });
        if initialized {
            // SAFETY: the set was initialized above and is released once.
            unsafe { rb_sys::rb_fd_term(set_ptr) };
        }
        match ret? {
            r if r > 0 => return Ok(true),
            0 if deadline.is_some() => return Ok(false),
            0 => continue,
            _ => {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    check_ints()?;
                    continue;
                }
                return Err(errors::io_error(
                    &Ruby::get().expect("ruby thread"),
                    &e,
                    "select(2)",
                ));
            }
        }
    }
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

/// The address family of a socket (stock's rsock_getfamily): from
/// getsockname(2), AF_UNSPEC when that fails.
pub fn socket_family(fd: RawFd) -> i32 {
    match sys::local_addr(fd) {
        Ok(name) if name.len() >= 2 => crate::core::sockaddr::family(&name),
        _ => libc::AF_UNSPEC,
    }
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

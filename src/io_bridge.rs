//! The one owner of "how a Ruby IO wraps a socket fd" and "how we wait".
//!
//! Sockets are created close-on-exec and non-blocking, as the stock extension
//! does on Ruby 3.x. A call is tried with the GVL held (it cannot block: the
//! fd is non-blocking or the call passes MSG_DONTWAIT); on EAGAIN it waits
//! with rb_io_wait, which releases the GVL, honours a fiber scheduler, and is
//! woken by Thread#kill, Thread#raise, Timeout and by a close from another
//! thread, then it tries again. rb_io_wait raises in those cases, so it is
//! called through `errors::protect` with no owning Rust values in between.

use crate::errors::{self, protect};
use magnus::{
    rb_sys::{AsRawValue, FromRawValue},
    Error, RClass, Ruby, Value,
};
use rb_sys::rb_io_t;
use std::io;
use std::os::fd::RawFd;

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
        return Err(Error::new(
            ruby.exception_io_error(),
            "uninitialized stream",
        ));
    };
    // SAFETY: ptr is the live rb_io_t of `io`, which the caller keeps alive.
    let fd = unsafe { (*ptr).fd };
    if fd < 0 {
        return Err(errors::closed_stream(ruby));
    }
    Ok(fd)
}

/// The IO's mode bits (FMODE_*), for an open IO.
pub fn mode(ruby: &Ruby, io: Value) -> Result<i32, Error> {
    fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: as in `fd`.
    Ok(unsafe { (*ptr).mode })
}

/// Changes mode bits of an open IO: clears `clear`, then sets `set`.
pub fn update_mode(ruby: &Ruby, io: Value, clear: i32, set: i32) -> Result<(), Error> {
    fd(ruby, io)?;
    let ptr = fptr(io).expect("checked by fd");
    // SAFETY: as in `fd`; the GVL is held, so nobody else writes the mode.
    unsafe { (*ptr).mode = ((*ptr).mode & !clear) | set };
    Ok(())
}

/// Whether the IO's read buffer holds bytes (recv must refuse then, as stock).
pub fn read_pending(io: Value) -> bool {
    // SAFETY: as in `fd`.
    fptr(io).is_some_and(|p| unsafe { (*p).rbuf.len > 0 })
}

/// Makes `obj` (an allocated BasicSocket) own `fd`, set up as stock's
/// rsock_init_sock does: read-write, duplex, binmode, sync, with the
/// do_not_reverse_lookup default. On error the fd is closed.
pub fn init_sock(ruby: &Ruby, obj: Value, fd: RawFd) -> Result<Value, Error> {
    if !is_io(obj) {
        // SAFETY: fd is ours and not yet owned by any IO.
        unsafe { libc::close(fd) };
        return Err(Error::new(ruby.exception_type_error(), "not an IO"));
    }
    // SAFETY: rb_update_max_fd only records the number; rb_io_make_open_file
    // allocates the rb_io_t (it raises only on a frozen or already-open IO,
    // which a freshly allocated object is not); the fields written are the
    // ones MakeOpenFile leaves for the caller; rb_io_ascii8bit_binmode and
    // rb_io_synchronized only set flags and encodings.
    unsafe {
        rb_sys::rb_update_max_fd(fd);
        let fp = rb_sys::rb_io_make_open_file(obj.as_raw());
        (*fp).fd = fd;
        (*fp).mode = (rb_sys::FMODE_READWRITE | rb_sys::FMODE_DUPLEX) as i32;
        rb_sys::rb_io_ascii8bit_binmode(obj.as_raw());
        if default_do_not_reverse_lookup() {
            (*fp).mode |= FMODE_NOREVLOOKUP;
        }
        rb_sys::rb_io_synchronized(fp);
    }
    Ok(obj)
}

/// A new object of `class` (a BasicSocket subclass) owning `fd`.
pub fn wrap_fd(ruby: &Ruby, class: RClass, fd: RawFd) -> Result<Value, Error> {
    // SAFETY: rb_obj_alloc on an IO subclass allocates an uninitialized IO;
    // it does not raise for a class that has an allocator.
    let obj = unsafe { Value::from_raw(rb_sys::rb_obj_alloc(class.as_raw())) };
    init_sock(ruby, obj, fd)
}

/// Closes an fd we created and never handed to Ruby.
pub fn close_fd(fd: RawFd) {
    // SAFETY: the caller owns fd; errors on close of an unused fd are moot.
    unsafe { libc::close(fd) };
}

/// Waits until `io` is ready, the Ruby way. Raises (as an Error) when the
/// thread is interrupted or the IO is closed by another thread.
pub fn wait(io: Value, event: Wait) -> Result<(), Error> {
    let events = event as i64;
    // SAFETY: rb_io_wait may raise; protect turns that into an Error, and
    // nothing owning lives in this frame.
    protect(|| unsafe {
        rb_sys::rb_io_wait(
            io.as_raw(),
            rb_sys::rb_int2inum(events as _),
            rb_sys::Qnil as rb_sys::VALUE,
        )
    })?;
    Ok(())
}

/// Runs pending interrupts (signal handlers, Thread#raise) after EINTR.
fn check_ints() -> Result<(), Error> {
    // SAFETY: rb_thread_check_ints may raise; protect catches it.
    protect(|| unsafe { rb_sys::rb_thread_check_ints() })
}

/// The outcome of a blocking socket call: the Ruby side failed (interrupt,
/// closed stream) with `Err`, or the system call finished with `Ok(result)`.
pub type Outcome<T> = Result<io::Result<T>, Error>;

/// Runs `call` on the IO's current fd until it does not report EAGAIN or
/// EINTR, waiting for `event` in between. The fd is re-read on every try, so
/// a close from another thread is noticed. `call` must not block: it is run
/// with the GVL held.
pub fn retry<T>(
    ruby: &Ruby,
    io: Value,
    event: Wait,
    mut call: impl FnMut(RawFd) -> io::Result<T>,
) -> Outcome<T> {
    loop {
        let fd = fd(ruby, io)?;
        match call(fd) {
            Ok(v) => return Ok(Ok(v)),
            Err(e) => match e.raw_os_error() {
                Some(libc::EINTR) => check_ints()?,
                Some(libc::EAGAIN) => wait(io, event)?,
                _ => return Ok(Err(e)),
            },
        }
    }
}

/// The last OS error as an io::Error, for `-1` returns of libc calls.
pub fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// Converts a libc return value (-1 on error) to an io::Result.
pub fn cvt<T: PartialOrd + Default>(ret: T) -> io::Result<T> {
    if ret < T::default() {
        Err(last_error())
    } else {
        Ok(ret)
    }
}

/// Runs a descriptor-creating call; on EMFILE/ENFILE/ENOMEM runs the GC (to
/// finalize unreachable IOs) and tries once more, as stock's rb_gc_for_fd.
fn with_gc_retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    match call() {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
            ) =>
        {
            gc_for_fd();
            call()
        }
        other => other,
    }
}

/// Runs the GC so unreachable IOs release their descriptors, as stock's
/// rb_gc_for_fd does when a call hits the descriptor limit.
pub fn gc_for_fd() {
    // SAFETY: rb_gc runs a full collection; it does not raise.
    unsafe { rb_sys::rb_gc() };
}

/// socket(2), close-on-exec and non-blocking.
pub fn new_socket(domain: i32, socktype: i32, protocol: i32) -> io::Result<RawFd> {
    let flags = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    // SAFETY: socket(2) takes plain integers.
    with_gc_retry(|| cvt(unsafe { libc::socket(domain, socktype | flags, protocol) }))
}

/// socketpair(2), both ends close-on-exec and non-blocking.
pub fn new_socketpair(domain: i32, socktype: i32, protocol: i32) -> io::Result<(RawFd, RawFd)> {
    let flags = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    let mut fds = [-1; 2];
    with_gc_retry(|| {
        // SAFETY: socketpair writes two fds into the array we own.
        cvt(unsafe { libc::socketpair(domain, socktype | flags, protocol, fds.as_mut_ptr()) })
    })?;
    Ok((fds[0], fds[1]))
}

/// rb_io_wait with both readable and writable bits, as stock waits for a
/// pending connect; `timeout` in seconds, None to wait forever. Ok(false)
/// when the timeout passed first.
#[allow(dead_code)] // used by the Socket core issue
pub fn wait_connectable(io: Value, timeout: Option<f64>) -> Result<bool, Error> {
    let events = (Wait::Readable as i64) | (Wait::Writable as i64);
    // SAFETY: rb_io_wait may raise; protect catches it. rb_float_new and
    // rb_int2inum only allocate.
    let ready = protect(|| unsafe {
        let timeout = match timeout {
            Some(t) => rb_sys::rb_float_new(t),
            None => rb_sys::Qnil as rb_sys::VALUE,
        };
        rb_sys::rb_io_wait(io.as_raw(), rb_sys::rb_int2inum(events as _), timeout)
    })?;
    Ok(ready != rb_sys::Qfalse as rb_sys::VALUE)
}

/// SO_ERROR of a socket: the pending error of a non-blocking connect.
fn pending_error(fd: RawFd) -> io::Result<i32> {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `err`, which we own.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(err)
}

/// connect(2) to a packed sockaddr, waiting for a non-blocking connect to
/// finish the way stock's wait_connectable does. With a timeout, a connect
/// still pending when it passes is Err(ETIMEDOUT).
pub fn connect(ruby: &Ruby, io: Value, addr: &[u8], timeout: Option<f64>) -> Outcome<()> {
    let fd = fd(ruby, io)?;
    // SAFETY: addr is a live byte slice holding a sockaddr of addr.len() bytes.
    let ret = unsafe { libc::connect(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t) };
    if ret == 0 {
        return Ok(Ok(()));
    }
    let err = last_error();
    match err.raw_os_error() {
        Some(libc::EINTR | libc::EAGAIN | libc::EINPROGRESS) => {}
        _ => return Ok(Err(err)),
    }
    // A connect already refused or done is reported before waiting.
    let fd0 = fd;
    match pending_error(fd0) {
        Err(e) => return Ok(Err(e)),
        Ok(e @ (libc::EALREADY | libc::EISCONN | libc::ECONNREFUSED | libc::EHOSTUNREACH)) => {
            return Ok(Err(io::Error::from_raw_os_error(e)))
        }
        Ok(_) => {}
    }
    if !wait_connectable(io, timeout)? {
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

/// One accept4(2) try: the new fd (close-on-exec, non-blocking) and the
/// peer's packed sockaddr. Does not wait: EAGAIN is returned as is.
pub fn try_accept(fd: RawFd) -> io::Result<(RawFd, Vec<u8>)> {
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let flags = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
    let new_fd = with_gc_retry(|| {
        // SAFETY: accept4 writes at most `len` bytes into storage.
        cvt(unsafe {
            libc::accept4(
                fd,
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
                flags,
            )
        })
    })?;
    // SAFETY: recording a new fd number does not raise.
    unsafe { rb_sys::rb_update_max_fd(new_fd) };
    // The kernel reports the full length even when it truncated the address.
    let len = (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: storage is a live local of at least `len` bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            len,
        )
    };
    Ok((new_fd, bytes.to_vec()))
}

/// accept4(2), waiting while the listener has nothing pending.
pub fn accept(ruby: &Ruby, io: Value) -> Outcome<(RawFd, Vec<u8>)> {
    retry(ruby, io, Wait::Readable, try_accept)
}

/// errno of the last failed libc call.
pub fn last_errno() -> i32 {
    last_error().raw_os_error().unwrap_or(libc::EIO)
}

/// A packed sockaddr filled by a getsockname-style call.
fn name_with(
    fd: RawFd,
    call: unsafe extern "C" fn(RawFd, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int,
) -> io::Result<Vec<u8>> {
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the call writes at most `len` bytes into storage.
    cvt(unsafe {
        call(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    })?;
    let len = (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: storage is a live local of at least `len` bytes.
    Ok(unsafe {
        std::slice::from_raw_parts(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            len,
        )
    }
    .to_vec())
}

/// getsockname(2) as packed bytes.
pub fn sock_name(fd: RawFd) -> io::Result<Vec<u8>> {
    name_with(fd, libc::getsockname)
}

/// getpeername(2) as packed bytes.
pub fn peer_name(fd: RawFd) -> io::Result<Vec<u8>> {
    name_with(fd, libc::getpeername)
}

/// One recvfrom(2) try into `len` bytes at `ptr` (MSG_DONTWAIT added):
/// the byte count and the sender's packed sockaddr (empty when none).
pub fn recv_from(fd: RawFd, ptr: *mut u8, len: usize, flags: i32) -> io::Result<(usize, Vec<u8>)> {
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut alen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the caller guarantees ptr has room for len bytes; the address
    // is written into storage, at most alen bytes.
    let n = cvt(unsafe {
        libc::recvfrom(
            fd,
            ptr.cast(),
            len,
            flags | libc::MSG_DONTWAIT,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut alen,
        )
    })?;
    let alen = (alen as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: storage is a live local of at least `alen` bytes.
    let addr = unsafe {
        std::slice::from_raw_parts(
            (&storage as *const libc::sockaddr_storage).cast::<u8>(),
            alen,
        )
    }
    .to_vec();
    Ok((n as usize, addr))
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

/// The address family of a socket (stock's rsock_getfamily): from
/// getsockname(2), AF_UNSPEC when that fails.
pub fn socket_family(fd: RawFd) -> i32 {
    match sock_name(fd) {
        Ok(name) if name.len() >= 2 => i32::from(u16::from_ne_bytes([name[0], name[1]])),
        _ => libc::AF_UNSPEC,
    }
}

/// SO_TYPE of a socket.
pub fn socket_type(fd: RawFd) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `value`, which we own.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// A plain IO owning a received descriptor that is not a socket, as stock's
/// rb_io_fdopen(fd, O_RDWR). The fd is closed if that raises.
pub fn fdopen(fd: RawFd) -> Result<Value, Error> {
    // SAFETY: rb_io_fdopen allocates an IO for fd and may raise (NoMemoryError);
    // protect catches it.
    let raw = protect(|| unsafe { rb_sys::rb_io_fdopen(fd, libc::O_RDWR, std::ptr::null()) });
    match raw {
        // SAFETY: rb_io_fdopen returns an IO object.
        Ok(raw) => Ok(unsafe { Value::from_raw(raw) }),
        Err(e) => {
            close_fd(fd);
            Err(e)
        }
    }
}

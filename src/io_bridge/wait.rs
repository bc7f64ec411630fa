//! Waiting the Ruby way: rb_io_wait on an IO (GVL released, fiber
//! scheduler aware, IO#timeout honoured, interruptible), for a pending
//! connect, and on a bare descriptor (a resolver job's eventfd).

use crate::errors;
use crate::ffi::protect;
use magnus::{rb_sys::AsRawValue, Error, Ruby, Value};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// rb_io_wait's event bits (RUBY_IO_READABLE, RUBY_IO_WRITABLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Readable = 1,
    Writable = 4,
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
pub(super) fn check_ints() -> Result<(), Error> {
    // SAFETY: rb_thread_check_ints may raise; protect catches it.
    protect(|| unsafe { rb_sys::rb_thread_check_ints() })
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

/// Waits until a bare descriptor (one no Ruby IO wraps, such as the eventfd
/// of a resolver thread) is readable: GVL released, interruptible by
/// Thread#kill/raise and Timeout (that raise comes back as Err). `timeout`
/// in seconds, None to wait forever; Ok(false) when it passed first.
///
/// rb_thread_fd_select rather than rb_wait_for_single_fd: under a fiber
/// scheduler the latter hands the scheduler an IO made around the fd, which
/// would then own (and may close) a descriptor that is not Ruby's. Stock 3.1
/// blocks the thread while resolving under a scheduler too.
pub fn wait_fd_readable(fd: BorrowedFd<'_>, timeout: Option<f64>) -> Result<bool, Error> {
    let fd = fd.as_raw_fd();
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

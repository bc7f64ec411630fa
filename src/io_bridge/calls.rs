//! The one retry loop (`run`) and how a call holds or releases the GVL
//! (`without_gvl`, through Ruby's public rb_thread_call_without_gvl2).

use super::*;
use crate::buffer;
use crate::errors;
use magnus::{Error, RString, Ruby, Value};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

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

/// The one retry loop: runs `call` on the IO's current fd (borrowed anew
/// for every try, so a close from another thread is noticed) as `how`
/// says, until it reports neither EAGAIN nor EINTR. On EAGAIN it waits for
/// `how.wait` (the IO's own timeout applies: the Ruby-side outcome or
/// Ok(Err(EAGAIN)) when it passed); without one it returns the error after
/// one try. `call` must not block (a non-blocking fd or MSG_DONTWAIT)
/// unless `how.gvl` is `Released`, and must not touch Ruby when the GVL may
/// be released.
// Inlined: each call site names its Retry and Buffer, so the arms it does
// not use fold away (outlined, the loop cost ~50 instructions per call).
#[inline(always)]
pub fn run<T>(
    ruby: &Ruby,
    io: Value,
    how: Retry,
    held: Buffer,
    mut call: impl FnMut(BorrowedFd<'_>, Bytes<'_>) -> io::Result<T>,
) -> Outcome<T> {
    let prepared = match held {
        Buffer::Receive(s, _) => Some(buffer::State::of(s)),
        _ => None,
    };
    let mut pinned = None;
    let mut collected = false;
    loop {
        let release = match how.gvl {
            Gvl::Held => false,
            Gvl::ReleasedWithOthers => others_exist(),
            Gvl::Released => true,
        };
        let (result, tried) = with_fd(ruby, io, |fd| {
            let result = match held {
                Buffer::Own => attempt(fd, release, &mut |fd| call(fd, Bytes::None))?,
                Buffer::Send(mesg) => {
                    let bytes = buffer::send_bytes(&mesg, &mut pinned, release);
                    let result = attempt(fd, release, &mut |fd| call(fd, Bytes::Message(bytes)))?;
                    // The pinned copy stays referenced from this frame (where
                    // the GC looks) until the call is over.
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
            Ok::<_, Error>((result, fd.as_raw_fd()))
        })??;
        // Closed by another thread while the GVL was released: what the
        // call got is dropped (a new fd closed), as stock raises there too.
        if release && open_fd(io) != Some(tried) {
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
pub(super) fn attempt<T>(
    fd: BorrowedFd<'_>,
    release: bool,
    call: &mut impl FnMut(BorrowedFd<'_>) -> io::Result<T>,
) -> Outcome<T> {
    if !release {
        return Ok(call(fd));
    }
    let mut result = None;
    without_gvl(&mut || result = Some(call(fd)))?;
    Ok(result.expect("without_gvl made the call or raised"))
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

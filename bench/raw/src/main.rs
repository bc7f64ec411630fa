//! Raw-syscall reference for the socket_rs benchmark.
//!
//! `raw CASE SECONDS SAMPLES` runs CASE for SAMPLES samples of about SECONDS
//! each and prints one ops/s figure per line. Each case does, per operation,
//! exactly the exchange the Ruby case of the same name does, single-threaded,
//! with blocking libc calls and no extra work: the limit a Ruby binding
//! could approach.
//!
//! Cases: socketpair (1-byte ping-pong over a UNIX stream socketpair),
//! socketpair_thread (the same with the echo side in a second thread),
//! unix64 (64-byte write/read over a socketpair), udp (1-byte sendto/recvfrom
//! ping-pong on 127.0.0.1), tcp (64-byte ping-pong on 127.0.0.1),
//! connect (connect + accept + close both on 127.0.0.1), socket (socket + close).

use std::io::{Error, Result};
use std::mem::{size_of, zeroed};
use std::time::Instant;

/// Turns a -1 return into the errno it stands for.
fn check(ret: isize) -> Result<isize> {
    if ret < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn socket(domain: i32, ty: i32) -> Result<i32> {
    // SAFETY: plain system call with integer arguments.
    check(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, 0) } as isize).map(|fd| fd as i32)
}

fn close(fd: i32) {
    // SAFETY: fd is owned by the caller and not used afterwards.
    unsafe { libc::close(fd) };
}

fn socketpair() -> Result<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: fds has room for the two descriptors socketpair writes.
    check(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } as isize)?;
    Ok((fds[0], fds[1]))
}

fn send(fd: i32, buf: &[u8]) -> Result<()> {
    // SAFETY: buf is a valid slice for its length.
    let n = check(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), 0) })?;
    assert_eq!(n as usize, buf.len(), "short send");
    Ok(())
}

fn recv_exact(fd: i32, buf: &mut [u8]) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: the pointer and length stay inside buf.
        let n =
            check(unsafe { libc::recv(fd, buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) })?;
        assert!(n > 0, "unexpected end of stream");
        got += n as usize;
    }
    Ok(())
}

fn loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = port.to_be();
    sa.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
    sa
}

const SIN_LEN: libc::socklen_t = size_of::<libc::sockaddr_in>() as libc::socklen_t;

/// A socket of type `ty` bound to 127.0.0.1 on a free port, and that port.
fn bound(ty: i32) -> Result<(i32, libc::sockaddr_in)> {
    let fd = socket(libc::AF_INET, ty)?;
    let sa = loopback(0);
    // SAFETY: sa is a valid sockaddr_in of SIN_LEN bytes.
    check(unsafe { libc::bind(fd, (&sa as *const libc::sockaddr_in).cast(), SIN_LEN) } as isize)?;
    let mut out = loopback(0);
    let mut len = SIN_LEN;
    // SAFETY: out has room for len bytes.
    check(
        unsafe { libc::getsockname(fd, (&mut out as *mut libc::sockaddr_in).cast(), &mut len) }
            as isize,
    )?;
    Ok((fd, out))
}

fn listener() -> Result<(i32, libc::sockaddr_in)> {
    let (fd, sa) = bound(libc::SOCK_STREAM)?;
    // SAFETY: plain system call.
    check(unsafe { libc::listen(fd, 128) } as isize)?;
    Ok((fd, sa))
}

fn connect(sa: &libc::sockaddr_in) -> Result<i32> {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    // SAFETY: sa is a valid sockaddr_in.
    if let Err(e) =
        check(
            unsafe { libc::connect(fd, (sa as *const libc::sockaddr_in).cast(), SIN_LEN) } as isize,
        )
    {
        close(fd);
        return Err(e);
    }
    Ok(fd)
}

fn accept(listen_fd: i32) -> Result<i32> {
    // SAFETY: null address pointers are allowed by accept4.
    check(unsafe {
        libc::accept4(
            listen_fd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    } as isize)
    .map(|fd| fd as i32)
}

/// One benchmark case: a setup that returns the per-operation closure.
fn case(name: &str) -> Result<Box<dyn FnMut() -> Result<()>>> {
    Ok(match name {
        "socketpair" => {
            let (a, b) = socketpair()?;
            let mut buf = [0u8; 1];
            Box::new(move || {
                send(a, b"x")?;
                recv_exact(b, &mut buf)?;
                send(b, b"y")?;
                recv_exact(a, &mut buf)
            })
        }
        "socketpair_thread" => {
            let (a, b) = socketpair()?;
            // The echo side runs in its own thread, so the main thread's recv
            // usually finds nothing yet and sleeps in the kernel.
            std::thread::spawn(move || -> Result<()> {
                let mut buf = [0u8; 1];
                loop {
                    recv_exact(b, &mut buf)?;
                    send(b, &buf)?;
                }
            });
            let mut buf = [0u8; 1];
            Box::new(move || {
                send(a, b"x")?;
                recv_exact(a, &mut buf)
            })
        }
        "unix64" => {
            let (a, b) = socketpair()?;
            let msg = [b'u'; 64];
            let mut buf = [0u8; 64];
            Box::new(move || {
                send(a, &msg)?;
                recv_exact(b, &mut buf)
            })
        }
        "udp" => {
            let (a, a_addr) = bound(libc::SOCK_DGRAM)?;
            let (b, b_addr) = bound(libc::SOCK_DGRAM)?;
            let mut buf = [0u8; 1];
            Box::new(move || {
                for (from, to, to_addr) in [(a, b, &b_addr), (b, a, &a_addr)] {
                    // SAFETY: to_addr is a valid sockaddr_in; buf is 1 byte.
                    check(unsafe {
                        libc::sendto(
                            from,
                            b"x".as_ptr().cast(),
                            1,
                            0,
                            (to_addr as *const libc::sockaddr_in).cast(),
                            SIN_LEN,
                        )
                    })?;
                    let mut peer = loopback(0);
                    let mut len = SIN_LEN;
                    // SAFETY: peer has room for len bytes, buf for 1 byte.
                    check(unsafe {
                        libc::recvfrom(
                            to,
                            buf.as_mut_ptr().cast(),
                            1,
                            0,
                            (&mut peer as *mut libc::sockaddr_in).cast(),
                            &mut len,
                        )
                    })?;
                }
                Ok(())
            })
        }
        "tcp" => {
            let (l, sa) = listener()?;
            let c = connect(&sa)?;
            let s = accept(l)?;
            let msg = [b't'; 64];
            let mut buf = [0u8; 64];
            Box::new(move || {
                send(c, &msg)?;
                recv_exact(s, &mut buf)?;
                send(s, &buf)?;
                recv_exact(c, &mut buf)
            })
        }
        "connect" => {
            let (l, sa) = listener()?;
            Box::new(move || {
                let c = connect(&sa)?;
                let s = accept(l)?;
                close(c);
                close(s);
                Ok(())
            })
        }
        "socket" => Box::new(|| {
            close(socket(libc::AF_INET, libc::SOCK_STREAM)?);
            Ok(())
        }),
        other => return Err(Error::other(format!("unknown case {other}"))),
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: raw CASE SECONDS SAMPLES");
        std::process::exit(2);
    }
    let seconds: f64 = args[2].parse().expect("SECONDS is a number");
    let samples: usize = args[3].parse().expect("SAMPLES is an integer");
    let mut op = case(&args[1])?;
    // Calibrate: how many operations fill one sample.
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed().as_secs_f64() < seconds / 4.0 {
        op()?;
        n += 1;
    }
    let per_sample = ((n as f64) * 4.0).max(1.0) as u64;
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..per_sample {
            op()?;
        }
        println!("{:.1}", per_sample as f64 / t.elapsed().as_secs_f64());
    }
    Ok(())
}

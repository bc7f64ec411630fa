//! The binding layer: one file per Ruby class, plus the bodies several
//! classes share (shared.rs, stock's init.c) and name resolution
//! (resolution.rs, stock's raddrinfo.c). `init` defines the classes in the
//! order stock does, superclasses first.

pub mod addrinfo;
mod ancillary_data;
pub mod basic_socket;
mod constants;
mod ifaddr;
pub mod ip_socket;
mod option;
mod pending_lookup;
mod resolution;
mod shared;
pub mod socket;
mod socket_error;
mod tcp_server;
mod tcp_socket;
mod udp_socket;
mod unix_server;
mod unix_socket;

use magnus::{prelude::*, Error, Ruby};

pub fn init(ruby: &Ruby) -> Result<(), Error> {
    socket_error::init(ruby)?;
    let basic_socket = basic_socket::init(ruby)?;
    let ip_socket = ip_socket::init(ruby, basic_socket)?;
    let tcp_socket = tcp_socket::init(ruby, ip_socket)?;
    tcp_server::init(ruby, tcp_socket)?;
    udp_socket::init(ruby, ip_socket)?;
    let unix_socket = unix_socket::init(ruby, basic_socket)?;
    unix_server::init(ruby, unix_socket)?;
    let socket = socket::init(ruby, basic_socket)?;
    constants::init(socket)?;
    socket_error::init_resolution_error(ruby, socket)?;
    addrinfo::init(ruby)?;
    option::init(ruby, socket)?;
    ancillary_data::init(ruby, socket)?;
    ancillary_data::init_msg_methods(ruby, basic_socket)?;
    ifaddr::init(ruby, socket)?;
    // What lib/socket_rs/ needs to know of the running Ruby.
    let module = ruby.define_module("SocketRs")?;
    module.const_set("TCP_HOST_MATCHED", crate::compat::tcp_host_matched())?;
    module.const_set(
        "TIMEOUTS_NAME_PLACE",
        crate::compat::timeouts_name_the_place(),
    )?;
    module.const_set(
        "TCPSOCKET_FAST_FALLBACK",
        crate::compat::tcp_socket_fast_fallback(),
    )?;
    module.const_set(
        "TCP_WITH_FAST_FALLBACK_PRIVATE",
        crate::compat::tcp_with_fast_fallback_private(),
    )?;
    module.const_set(
        "ABSTRACT_NAME_BY_PREFIX",
        crate::compat::abstract_name_by_prefix(),
    )?;
    pending_lookup::init(ruby, module)?;
    Ok(())
}

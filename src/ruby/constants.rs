//! Socket::Constants: every constant of the platform table, defined on both
//! Socket::Constants and Socket, as stock does (Socket does not include the
//! module; each constant is defined twice).

use crate::core::constants;
use magnus::{prelude::*, Error, RClass};

pub fn init(socket: RClass) -> Result<(), Error> {
    let constants = socket.define_module("Constants")?;
    for (name, value) in constants::table() {
        constants.const_set(name, value)?;
        socket.const_set(name, value)?;
    }
    Ok(())
}

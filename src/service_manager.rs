//! Telling systemd how the service is doing (`Type=notify`): `READY=1` once the port is bound
//! and the database migrated, `STOPPING=1` when a signal starts the drain. Without
//! `NOTIFY_SOCKET` (not run by systemd) nothing is sent.
//!
//! The protocol is one datagram to the socket systemd names (sd_notify(3)); a dozen lines do
//! not warrant a crate.

/// Sends `state` (`READY=1`, `STOPPING=1`, …) to the service manager, if there is one. A
/// failure is logged, never fatal: the service serves either way.
pub fn notify(state: &str) {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(err) = send(&socket, state) {
        tracing::warn!(error = %err, "cannot notify the service manager");
    }
}

#[cfg(target_os = "linux")]
fn send(socket: &std::ffi::OsStr, state: &str) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};

    let bytes = socket.as_bytes();
    // `@name` is an abstract socket (no file), as systemd usually hands out.
    let address = match bytes.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(std::path::Path::new(socket))?,
    };
    let datagram = UnixDatagram::unbound()?;
    datagram.send_to_addr(state.as_bytes(), &address)?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn send(_socket: &std::ffi::OsStr, _state: &str) -> std::io::Result<()> {
    Ok(())
}

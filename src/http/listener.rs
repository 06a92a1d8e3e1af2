//! Binding the listening sockets, with a listen backlog sized for bursts of connections.
//!
//! Invariants:
//! - The backlog is the configured one (the kernel caps it at `net.core.somaxconn`), not
//!   the standard library's fixed 128: a burst of new connections (a load balancer
//!   opening its pool, hundreds of idle clients) that fills a short accept queue has its
//!   SYNs dropped, and each such client waits a full second for its retransmission.
//! - `SO_REUSEADDR` is set, as the standard library does, so a restarted gateway can bind
//!   while the old one's connections are in TIME_WAIT.
//! - Every address `listen` resolves to is tried in turn; the last error is reported.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use socket2::{Domain, Socket, Type};

/// Binds `addr` (host:port, port 0 for any) and listens with `backlog` pending connections.
pub fn bind(addr: &str, backlog: u32) -> io::Result<TcpListener> {
    let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on");
    for candidate in addr.to_socket_addrs()? {
        match bind_one(candidate, backlog) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn bind_one(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;
    use std::time::Duration;

    /// 300 connections that nobody accepts all complete their handshake at once: they
    /// wait in the accept queue instead of having their SYNs dropped (which a backlog of
    /// 128 would do from the 130th on, each then waiting a second for its retry).
    #[test]
    fn a_burst_waits_in_the_backlog_instead_of_being_dropped() {
        let listener = bind("127.0.0.1:0", 1024).unwrap();
        let addr = listener.local_addr().unwrap();
        let held: Vec<TcpStream> = (0..300)
            .map(|i| {
                TcpStream::connect_timeout(&addr, Duration::from_millis(500))
                    .unwrap_or_else(|e| panic!("connection {i} not queued: {e}"))
            })
            .collect();
        assert_eq!(held.len(), 300);
    }

    #[test]
    fn an_address_without_a_port_is_an_error() {
        assert!(bind("127.0.0.1", 16).is_err());
    }
}

//! Free loopback ports and waiting for a listener.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// A port free for both TCP and UDP on `ip` right now (a server started
/// just after may still lose a race; callers retry on start failure).
pub fn free_port(ip: IpAddr) -> u16 {
    for _ in 0..100 {
        let tcp = TcpListener::bind((ip, 0)).expect("bind a loopback TCP port");
        let port = tcp.local_addr().expect("local addr").port();
        if UdpSocket::bind((ip, port)).is_ok() {
            return port;
        }
    }
    panic!("no free TCP+UDP port on {ip}");
}

/// Wait until something accepts TCP connections on `addr`.
pub fn wait_tcp(addr: SocketAddr, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The loopback address 127.0.0.`last`.
pub fn lo(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

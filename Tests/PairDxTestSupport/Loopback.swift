import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// TCP sockets to 127.0.0.1 for tests that talk to a server byte by byte.
public enum Loopback {
    /// A socket connected to 127.0.0.1:`port`, or nil when nothing accepts there. The caller closes it.
    public static func connect(_ port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        let status = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { close(fd); return nil }
        return fd
    }
}

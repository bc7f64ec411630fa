# Reference document, Socket.tcp_server_sockets.
#
# Adapted: port 1296 is replaced by a free port. The order of the IPv4 and
# IPv6 sockets follows getaddrinfo(3), which differs between systems (the
# document shows IPv6 first).
require_relative "support/local"
PORT = ExampleLocal.free_port

# tcp_server_sockets returns two sockets.
sockets = Socket.tcp_server_sockets(PORT) # was 1296
p sockets #=> [#<Socket:fd 3>, #<Socket:fd 4>]

# The sockets contains IPv6 and IPv4 sockets.
sockets.each {|s| p s.local_address }
#=> #<Addrinfo: [::]:1296 TCP>
#   #<Addrinfo: 0.0.0.0:1296 TCP>

# Checks: one IPv4 and one IPv6 socket, both on the requested port.
p sockets.map {|s| s.local_address.afamily }.sort == [Socket::AF_INET, Socket::AF_INET6]
p sockets.map {|s| s.local_address.ip_port } == [PORT, PORT]
sockets.each(&:close)

# IPv6 and IPv4 socket has same port number, 53114, even if it is chosen dynamically.
sockets = Socket.tcp_server_sockets(0)
sockets.each {|s| p s.local_address }
#=> #<Addrinfo: [::]:53114 TCP>
#   #<Addrinfo: 0.0.0.0:53114 TCP>

# Checks: one IPv4 and one IPv6 socket, on the same port.
p sockets.map {|s| s.local_address.afamily }.sort == [Socket::AF_INET, Socket::AF_INET6]
p sockets.map {|s| s.local_address.ip_port }.uniq.size
sockets.each(&:close)

# The block is called with the sockets.
Socket.tcp_server_sockets(0) {|sockets|
  p sockets #=> [#<Socket:fd 3>, #<Socket:fd 4>]
  $kept = sockets
}

# Check: they are closed when the block returns.
p $kept.map(&:closed?)

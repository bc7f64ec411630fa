# Reference document, Socket#bind.
#
# Adapted: ports 2222 and 2200 are replaced by free ports.
require_relative "support/local"
PORT1 = ExampleLocal.free_port
PORT2 = ExampleLocal.free_port

require 'socket'

# use Addrinfo
socket = Socket.new(:INET, :STREAM, 0)
socket.bind(Addrinfo.tcp("127.0.0.1", PORT1)) # was 2222
p socket.local_address #=> #<Addrinfo: 127.0.0.1:2222 TCP>

# use struct sockaddr
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
sockaddr = Socket.pack_sockaddr_in( PORT2, 'localhost' ) # was 2200
p socket.bind( sockaddr )

# Checks: bound where asked; binding the same address twice fails.
p socket.local_address.ip_port == PORT2
begin
  Socket.new(AF_INET, SOCK_STREAM, 0).bind(sockaddr)
rescue Errno::EADDRINUSE => e
  p e.class
end

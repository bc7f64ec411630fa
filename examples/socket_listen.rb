# Reference document, Socket#listen: Example 1 and Example 2.
#
# Adapted: port 2200 is replaced by a free port.
require_relative "support/local"
PORT = ExampleLocal.free_port

# Example 1
require 'socket'
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
sockaddr = Socket.pack_sockaddr_in( PORT, 'localhost' ) # was 2200
socket.bind( sockaddr )
p socket.listen( 5 )
p socket.local_address.ip_port == PORT

# Example 2 (listening on an arbitrary port, unix-based systems only):
require 'socket'
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
p socket.listen( 1 )

# Check: "a new sockaddr struct is created on the address ADDR_ANY, for an
# arbitrary port number as handed off by the kernel".
p socket.local_address

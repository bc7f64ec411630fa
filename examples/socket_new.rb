# Reference document, Socket.new.
require 'socket'

sockets = [
Socket.new(:INET, :STREAM), # TCP socket
Socket.new(:INET, :DGRAM),  # UDP socket
Socket.new(:UNIX, :STREAM), # UNIX stream socket
Socket.new(:UNIX, :DGRAM),  # UNIX datagram socket
]

# Check: four sockets of the announced kinds.
sockets.each do |s|
  p s
  p [s.getsockopt(:SOCKET, :DOMAIN).int, s.getsockopt(:SOCKET, :TYPE).int]
end

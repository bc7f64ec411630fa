# Reference document, Socket#recvfrom.
#
# Adapted: port 2200 is replaced by a free port; the "another file" part
# runs in a thread of this script (retrying until the first part listens).
require_relative "support/local"
PORT = ExampleLocal.free_port

second = Thread.new do
  ExampleLocal.retry_refused do
    # In another file, start this second
    require 'socket'
    include Socket::Constants
    socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
    sockaddr = Socket.pack_sockaddr_in( PORT, 'localhost' ) # was 2200
    socket.connect( sockaddr )
    socket.puts "Watch this get cut short!"
    socket.close
  end
end

# In one file, start this first
require 'socket'
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
sockaddr = Socket.pack_sockaddr_in( PORT, 'localhost' ) # was 2200
socket.bind( sockaddr )
socket.listen( 5 )
client, client_addrinfo = socket.accept
data = client.recvfrom( 20 )[0].chomp
puts "I only received 20 bytes '#{data}'"
sleep 1
socket.close

second.join

# Reference document, Socket#sysaccept.
#
# Adapted: port 2200 is replaced by a free port; the "another script" part
# runs in a thread of this script (retrying until the first part listens).
require_relative "support/local"
PORT = ExampleLocal.free_port

second = Thread.new do
  ExampleLocal.retry_refused do
    # In another script, start this second
    require 'socket'
    include Socket::Constants
    socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
    sockaddr = Socket.pack_sockaddr_in( PORT, 'localhost' ) # was 2200
    socket.connect( sockaddr )
    socket.puts "Hello from script 2."
    puts "The server said, '#{socket.readline.chomp}'"
    socket.close
  end
end

# In one script, start this first
require 'socket'
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
sockaddr = Socket.pack_sockaddr_in( PORT, 'localhost' ) # was 2200
socket.bind( sockaddr )
socket.listen( 5 )
client_fd, client_addrinfo = socket.sysaccept
client_socket = Socket.for_fd( client_fd )
puts "The client said, '#{client_socket.readline.chomp}'"
client_socket.puts "Hello from script one!"
socket.close

second.join

# Check: an integer fd and an Addrinfo.
p [client_fd.class, client_addrinfo]

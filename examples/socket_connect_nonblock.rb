# Reference document, Socket#connect_nonblock: "Pull down Google's web page".
#
# Adapted: www.google.com port 80 is replaced by a local HTTP stand-in on
# localhost and a free port.
require_relative "support/local"
http_port = ExampleLocal.http_server

# Pull down Google's web page
require 'socket'
include Socket::Constants
socket = Socket.new(AF_INET, SOCK_STREAM, 0)
sockaddr = Socket.sockaddr_in(http_port, 'localhost') # was (80, 'www.google.com')
begin # emulate blocking connect
  socket.connect_nonblock(sockaddr)
rescue IO::WaitWritable
  IO.select(nil, [socket]) # wait 3-way handshake completion
  begin
    socket.connect_nonblock(sockaddr) # check connection failure
  rescue Errno::EISCONN
  end
end
socket.write("GET / HTTP/1.0\r\n\r\n")
results = socket.read

# Check: the page.
puts results

# Reference document, Socket#connect: "Pull down Google's web page".
#
# Adapted: www.google.com port 80 is replaced by a local HTTP stand-in on
# localhost and a free port.
require_relative "support/local"
http_port = ExampleLocal.http_server

# Pull down Google's web page
require 'socket'
include Socket::Constants
socket = Socket.new( AF_INET, SOCK_STREAM, 0 )
sockaddr = Socket.pack_sockaddr_in( http_port, 'localhost' ) # was ( 80, 'www.google.com' )
socket.connect( sockaddr )
socket.write( "GET / HTTP/1.0\r\n\r\n" )
results = socket.read

# Check: the page.
puts results

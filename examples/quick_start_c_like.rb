# Reference document, "Quick start": an internet socket created in a C-like
# manner.
#
# Adapted: example.com port 80 is replaced by a local HTTP stand-in on
# localhost and a free port (examples never leave the loopback interface).
require_relative "support/local"
http_port = ExampleLocal.http_server

# --- the document's example ---
require 'socket'

s = Socket.new Socket::AF_INET, Socket::SOCK_STREAM
s.connect Socket.pack_sockaddr_in(http_port, 'localhost') # was (80, 'example.com')
# --- end of the example ---

# Check: the socket is connected to the server.
p s.remote_address
s.close

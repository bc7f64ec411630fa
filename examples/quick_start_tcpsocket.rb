# Reference document, "Quick start": the same connection with TCPSocket.
#
# Adapted: example.com port 80 is replaced by a local HTTP stand-in on
# 127.0.0.1 and a free port.
require_relative "support/local"
http_port = ExampleLocal.http_server

# --- the document's example ---
s = TCPSocket.new '127.0.0.1', http_port # was 'example.com', 80
# --- end of the example ---

# Check: the socket is connected to the server.
p s.peeraddr(:numeric)
p s.remote_address
s.close

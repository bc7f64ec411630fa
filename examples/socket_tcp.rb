# Reference document, Socket.tcp.
#
# Adapted: www.ruby-lang.org port 80 is replaced by a local HTTP stand-in on
# localhost and a free port (the request text is unchanged).
require_relative "support/local"
http_port = ExampleLocal.http_server

Socket.tcp("localhost", http_port) {|sock| # was ("www.ruby-lang.org", 80)
  sock.print "GET / HTTP/1.0\r\nHost: www.ruby-lang.org\r\n\r\n"
  sock.close_write
  puts sock.read
}

# Check: the block form closes the socket and returns the block's value.
sock = nil
p Socket.tcp("localhost", http_port) {|s| sock = s; :block_value }
p sock.closed?

# Reference document, Socket.tcp.
#
# Adapted: www.ruby-lang.org port 80 is replaced by a local HTTP stand-in on
# 127.0.0.1 and a free port (the request text is unchanged; a numeric
# address, so that no per-family lookup of a name can leave the machine).
require_relative "support/local"
http_port = ExampleLocal.http_server

Socket.tcp("127.0.0.1", http_port) {|sock| # was ("www.ruby-lang.org", 80)
  sock.print "GET / HTTP/1.0\r\nHost: www.ruby-lang.org\r\n\r\n"
  sock.close_write
  puts sock.read
}

# Check: the block form closes the socket and returns the block's value.
sock = nil
p Socket.tcp("127.0.0.1", http_port) {|s| sock = s; :block_value }
p sock.closed?

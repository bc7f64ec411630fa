# Reference document, Socket.unix_server_socket.
#
# Adapted: /tmp/s and /tmp/sock are replaced by paths in a private temporary
# directory (printed here as <dir>).
require_relative "support/local"
dir = ExampleLocal.tmpdir

socket = Socket.unix_server_socket("#{dir}/s") # was "/tmp/s"
p socket                  #=> #<Socket:fd 3>
puts socket.local_address.inspect.sub(dir, "<dir>") #=> #<Addrinfo: /tmp/s SOCK_STREAM>

Socket.unix_server_socket("#{dir}/sock") {|s| # was "/tmp/sock"
  p s                     #=> #<Socket:fd 3>
  puts s.local_address.inspect.sub(dir, "<dir>") #=> # #<Addrinfo: /tmp/sock SOCK_STREAM>
}

# Checks: without a block the socket file stays; with a block it is removed
# when the block exits.
p File.socket?("#{dir}/s"), File.exist?("#{dir}/sock")
socket.close

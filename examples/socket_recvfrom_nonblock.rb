# Reference document, Socket#recvfrom_nonblock.
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
    socket = Socket.new(AF_INET, SOCK_STREAM, 0)
    sockaddr = Socket.sockaddr_in(PORT, 'localhost') # was 2200
    socket.connect(sockaddr)
    socket.puts "Watch this get cut short!"
    socket.close
  end
end

# In one file, start this first
require 'socket'
include Socket::Constants
socket = Socket.new(AF_INET, SOCK_STREAM, 0)
sockaddr = Socket.sockaddr_in(PORT, 'localhost') # was 2200
socket.bind(sockaddr)
socket.listen(5)
client, client_addrinfo = socket.accept
begin # emulate blocking recvfrom
  pair = client.recvfrom_nonblock(20)
rescue IO::WaitReadable
  IO.select([client])
  retry
end
data = pair[0].chomp
puts "I only received 20 bytes '#{data}'"
sleep 1
socket.close

second.join

# Checks: the rest of the line is still there; then the end of stream (nil
# on Ruby 3.4, "" on Ruby 3.1 and earlier); with exception: false and nothing
# to read, :wait_readable.
p client.recvfrom_nonblock(20)&.first
IO.select([client])
p client.recvfrom_nonblock(20)&.first
a, _b = Socket.pair(:UNIX, :STREAM)
p a.recvfrom_nonblock(20, exception: false)

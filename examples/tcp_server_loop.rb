# Reference document, Socket.tcp_server_loop: the sequential and the
# threaded echo servers.
#
# Adapted: port 16807 is replaced by a free port; each server, which loops
# forever in the document, runs in a thread that is stopped (Thread#kill runs
# the ensure clauses that close the listening sockets) after two clients.
require_relative "support/local"
require 'socket'

def echo_clients(port, tag, server)
  2.times do |i|
    ExampleLocal.retry_refused(server) do
      TCPSocket.open("127.0.0.1", port) do |c|
        c.write "#{tag} client #{i}"
        c.close_write
        puts "echoed: #{c.read}"
      end
    end
  end
end

PORT = ExampleLocal.free_port
server = Thread.new do
  # Sequential echo server.
  # It services only one client at a time.
  Socket.tcp_server_loop(PORT) {|sock, client_addrinfo| # was port 16807
    begin
      IO.copy_stream(sock, sock)
    ensure
      sock.close
    end
  }
end
echo_clients(PORT, "sequential", server)
server.kill.join

PORT2 = ExampleLocal.free_port
server = Thread.new do
  # Threaded echo server
  # It services multiple clients at a time.
  # Note that it may accept connections too much.
  Socket.tcp_server_loop(PORT2) {|sock, client_addrinfo| # was port 16807
    Thread.new {
      begin
        IO.copy_stream(sock, sock)
      ensure
        sock.close
      end
    }
  }
end
echo_clients(PORT2, "threaded", server)
server.kill.join

# Check: the listening sockets were closed when the loop ended.
begin
  TCPSocket.new("127.0.0.1", PORT2)
  puts "still listening"
rescue Errno::ECONNREFUSED
  puts "closed"
end

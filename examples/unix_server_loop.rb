# Reference document, Socket.unix_server_loop: the sequential echo server.
#
# Adapted: /tmp/sock is replaced by a path in a private temporary directory;
# the server, which loops forever in the document, runs in a thread that is
# stopped after two clients.
require_relative "support/local"
PATH = File.join(ExampleLocal.tmpdir, "sock")

server = Thread.new do
  # Sequential echo server.
  # It services only one client at a time.
  Socket.unix_server_loop(PATH) {|sock, client_addrinfo| # was "/tmp/sock"
    begin
      IO.copy_stream(sock, sock)
    ensure
      sock.close
    end
  }
end

2.times do |i|
  ExampleLocal.retry_refused(server) do
    Socket.unix(PATH) do |c|
      c.write "client #{i}"
      c.close_write
      puts "echoed: #{c.read}"
    end
  end
end
server.kill.join

# Check: the socket file is removed when the loop ends.
p File.exist?(PATH)

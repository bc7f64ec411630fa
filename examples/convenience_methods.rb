# Reference document, "Convenience methods": the ways it lists to create
# TCP and UNIX client and server sockets besides Socket.new (Socket.tcp,
# TCPSocket.open, Socket.tcp_server_loop, TCPServer.open, Socket.unix,
# UNIXSocket.open, Socket.unix_server_loop, UNIXServer.open). The document
# only names them; this script uses each once, on loopback and in a private
# temporary directory, the server loops in threads stopped after one client.
require_relative "support/local"

def talk(sock)
  sock.puts "ping"
  sock.gets.chomp
end

# TCP server socket: TCPServer.open; TCP client socket: Socket.tcp, TCPSocket.open
server = TCPServer.open("127.0.0.1", 0)
port = server.addr[1]
srv = Thread.new { 2.times { c = server.accept; c.puts "pong #{c.gets.chomp}"; c.close } }
puts "Socket.tcp: #{Socket.tcp("127.0.0.1", port) { |s| talk(s) }}"
puts "TCPSocket.open: #{TCPSocket.open("127.0.0.1", port) { |s| talk(s) }}"
srv.join
server.close

# TCP server socket: Socket.tcp_server_loop
port = ExampleLocal.free_port
srv = Thread.new do
  Socket.tcp_server_loop("127.0.0.1", port) { |c, _| c.puts "pong #{c.gets.chomp}"; c.close }
end
puts "Socket.tcp_server_loop: #{ExampleLocal.retry_refused(srv) { TCPSocket.open("127.0.0.1", port) { |s| talk(s) } }}"
srv.kill.join

# UNIX server socket: UNIXServer.open; UNIX client socket: Socket.unix, UNIXSocket.open
path = File.join(ExampleLocal.tmpdir, "sock")
server = UNIXServer.open(path)
srv = Thread.new { 2.times { c = server.accept; c.puts "pong #{c.gets.chomp}"; c.close } }
puts "Socket.unix: #{Socket.unix(path) { |s| talk(s) }}"
puts "UNIXSocket.open: #{UNIXSocket.open(path) { |s| talk(s) }}"
srv.join
server.close
File.unlink(path)

# UNIX server socket: Socket.unix_server_loop
srv = Thread.new do
  Socket.unix_server_loop(path) { |c, _| c.puts "pong #{c.gets.chomp}"; c.close }
end
puts "Socket.unix_server_loop: #{ExampleLocal.retry_refused(srv) { UNIXSocket.open(path) { |s| talk(s) } }}"
srv.kill.join

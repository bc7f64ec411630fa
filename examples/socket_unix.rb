# Reference document, Socket.unix: talk to a UNIX socket, copying standard
# input to it and its output to standard output.
#
# Adapted: /tmp/sock is replaced by a path in a private temporary directory,
# where a small line server runs in a thread (the document expects one to
# exist); standard input comes from examples/input/socket_unix.txt. The
# server closes the connection after the line "quit", which ends the copy to
# STDOUT. By hand: ruby -rsocket examples/socket_unix.rb < examples/input/socket_unix.txt
# (without a "quit" line on standard input it waits, like the document's).
require_relative "support/local"
path = File.join(ExampleLocal.tmpdir, "sock")
listener = UNIXServer.new(path)
server = Thread.new do
  conn = listener.accept
  while (line = conn.gets)
    conn.puts "server got: #{line.chomp}"
    break if line.chomp == "quit"
  end
  conn.close
end

# talk to /tmp/sock socket.
Socket.unix(path) {|sock| # was "/tmp/sock"
  t = Thread.new { IO.copy_stream(sock, STDOUT) }
  IO.copy_stream(STDIN, sock)
  t.join
}
server.join
listener.close

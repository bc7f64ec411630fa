# Reference document, "Quick start": a simple server and a simple client.
#
# Adapted: port 2000 is replaced by a free port; the server, which loops
# forever in the document, runs in a thread and is stopped after the client
# ran twice (the document runs them in two terminals).
require_relative "support/local"
PORT = ExampleLocal.free_port

server_thread = Thread.new do
  # --- the document's server ---
  require 'socket'

  server = TCPServer.new PORT # Server bound to port 2000 (here: a free port)

  loop do
    client = server.accept    # Wait for a client to connect
    client.puts "Hello !"
    client.puts "Time is #{Time.now}"
    client.close
  end
  # --- end of the server ---
end

2.times do
  ExampleLocal.retry_refused(server_thread) do
    # --- the document's client ---
    require 'socket'

    s = TCPSocket.new 'localhost', PORT # was port 2000

    while line = s.gets # Read lines from socket
      puts line         # and print them
    end

    s.close             # close socket when done
    # --- end of the client ---
  end
end

server_thread.kill.join

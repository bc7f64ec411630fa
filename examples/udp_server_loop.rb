# Reference document, Socket.udp_server_loop: the UDP/IP echo server.
#
# Adapted: port 9261 is replaced by a free port; the server, which loops
# forever in the document, runs in a thread that is stopped after clients
# asked it over IPv4 and IPv6 loopback.
require_relative "support/local"
require_relative "support/udp_client"
PORT = ExampleLocal.free_port(:DGRAM)

server = Thread.new do
  # UDP/IP echo server.
  Socket.udp_server_loop(PORT) {|msg, msg_src| # was port 9261
    msg_src.reply msg
  }
end

ExampleLocal.udp_ask("127.0.0.1", PORT, "hello over IPv4", server: server)
ExampleLocal.udp_ask("::1", PORT, "hello over IPv6", server: server)
server.kill.join

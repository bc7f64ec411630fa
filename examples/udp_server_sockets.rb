# Reference document, Socket.udp_server_sockets (with
# Socket.udp_server_loop_on): the UDP/IP echo server on a dynamic port.
#
# Adapted: the server, which loops forever in the document, runs in a thread
# that is stopped after clients asked it; one line is added in the block to
# hand the port to the clients.
require_relative "support/local"
require_relative "support/udp_client"
port_queue = Queue.new

server = Thread.new do
  # UDP/IP echo server
  Socket.udp_server_sockets(0) {|sockets|
    p sockets.first.local_address.ip_port     #=> 32963
    port_queue << sockets.first.local_address.ip_port # added: tell the clients
    Socket.udp_server_loop_on(sockets) {|msg, msg_src|
      msg_src.reply msg
    }
  }
end

port = ExampleLocal.await(port_queue, server)
ExampleLocal.udp_ask("127.0.0.1", port, "hello over IPv4", server: server)
ExampleLocal.udp_ask("::1", port, "hello over IPv6", server: server)
server.kill.join

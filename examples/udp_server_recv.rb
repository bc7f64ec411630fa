# Reference document, Socket.udp_server_recv: "Socket.udp_server_loop can be
# implemented using this method as follows."
#
# Adapted: the document's sketch calls the methods unqualified and leaves
# the block body and host/port open ("..."): here they are Socket's, the
# body replies with the message, host is nil and port 0, and the loop, which
# runs forever, runs in a thread that is stopped after clients asked it; one
# line is added to hand the port to the clients.
require_relative "support/udp_client"
host, port = nil, 0
port_queue = Queue.new

server = Thread.new do
  Socket.udp_server_sockets(host, port) {|sockets|
    port_queue << sockets.first.local_address.ip_port # added: tell the clients
    loop {
      readable, _, _ = IO.select(sockets)
      Socket.udp_server_recv(readable) {|msg, msg_src| msg_src.reply "re: #{msg}" }
    }
  }
end

port = ExampleLocal.await(port_queue, server)
ExampleLocal.udp_ask("127.0.0.1", port, "hello over IPv4", server: server)
ExampleLocal.udp_ask("::1", port, "hello over IPv6", server: server)
server.kill.join

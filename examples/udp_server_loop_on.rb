# Reference document, Socket.udp_server_loop_on. The document has no code
# example of its own (Socket.udp_server_sockets' example uses it); this one
# follows the description: it runs the server loop on the given sockets and
# calls the block for each message, with a Socket::UDPSource to reply.
#
# The loop runs forever: it runs in a thread that is stopped after two
# messages.
require_relative "support/udp_client"
sockets = Socket.udp_server_sockets("127.0.0.1", 0)
port = sockets.first.local_address.ip_port

server = Thread.new do
  Socket.udp_server_loop_on(sockets) {|msg, msg_src|
    puts "got #{msg.inspect} from #{msg_src.remote_address.ip_address} to #{msg_src.local_address.inspect}"
    msg_src.reply msg.upcase
  }
end

ExampleLocal.udp_ask("127.0.0.1", port, "first", server: server)
ExampleLocal.udp_ask("127.0.0.1", port, "second", server: server)
server.kill.join
sockets.each(&:close)

# Reference document, Socket.accept_loop. The document has no code example
# for it; this one follows its description: it yields each connection
# accepted on any of the given sockets (a socket or an array of sockets),
# one at a time.
#
# The loop runs forever: it runs in a thread that is stopped after three
# clients.
require 'socket'

serv1 = Socket.new(:INET, :STREAM, 0)
serv1.bind(Addrinfo.tcp("127.0.0.1", 0))
serv1.listen(5)
serv2 = Socket.new(:INET, :STREAM, 0)
serv2.bind(Addrinfo.tcp("127.0.0.1", 0))
serv2.listen(5)
log = Queue.new

server = Thread.new do
  Socket.accept_loop(serv1, [serv2]) {|sock, client_addrinfo|
    log << [sock.class, client_addrinfo.class, sock.local_address.ip_port == serv1.local_address.ip_port ? :serv1 : :serv2, sock.gets.chomp]
    sock.close
  }
end

[serv1, serv2, serv1].each_with_index do |serv, i|
  c = Socket.new(:INET, :STREAM, 0)
  c.connect(serv.connect_address)
  c.puts "client #{i}"
  p log.pop
  c.close
end
server.kill.join

# Without sockets it refuses to start.
begin
  Socket.accept_loop([]) {}
rescue ArgumentError => e
  p e
end

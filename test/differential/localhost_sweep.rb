# frozen_string_literal: true

# The ways apps and their tests reach "localhost", one line each: run under
# the stock extension and under socket_rs in the same network namespace and
# /etc/hosts (test/differential/environments_test.rb), and compared line by
# line. Loaded after `require "socket"` or `require "socket_rs"`. Each line
# is a label, a tab, and what the call returned (=>) or raised (!!); ports
# are printed as PORT. Every server runs on loopback, in this process.
require "net/http"
require "drb/drb"

$stdout.sync = true
PORT_NUMBERS = /\b[1-9]\d{3,4}\b/

def show(label)
  value = yield
  puts "#{label}\t=> #{value.inspect.gsub(PORT_NUMBERS, 'PORT')}"
rescue Exception => e # rubocop:disable Lint/RescueException -- every outcome is a line
  message = e.message.gsub(PORT_NUMBERS, "PORT")
  puts "#{label}\t!! #{e.class.name.sub('Socket::ResolutionError', 'SocketError')}: #{message}"
end

def server(host)
  TCPServer.new(host, 0)
rescue SystemCallError
  nil
end

# A TCP server on 127.0.0.1 (and one on ::1, when it can bind there) that
# accepts and closes, for the clients below.
v4 = TCPServer.new("127.0.0.1", 0)
v6 = server("::1")
[v4, v6].compact.each do |s|
  Thread.new { loop { s.accept.close rescue nil } } # rubocop:disable Style/RescueModifier
end
v4_port = v4.addr[1]
v6_port = v6&.addr&.[](1)
closed_port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
he = RUBY_VERSION >= "3.4" # fast_fallback: is 3.4's (socket_rs offers it on every Ruby)

show("ipv6 loopback usable") { !v6.nil? }
show("TCPSocket.new") { TCPSocket.new("localhost", v4_port).tap(&:close).class }
show("TCPSocket.new remote") { TCPSocket.open("localhost", v4_port) { |s| s.remote_address.ip_address } }
show("TCPSocket.new local host") { TCPSocket.open("localhost", v4_port, "localhost", 0) { |s| s.local_address.ip_address } }
show("TCPSocket.new refused") { TCPSocket.new("localhost", closed_port) }
show("TCPSocket.new bad port") { TCPSocket.new("localhost", -1) }
show("TCPSocket.new service name") { TCPSocket.new("localhost", "http") }
show("TCPSocket.new ::1 only") { v6_port ? TCPSocket.open("localhost", v6_port) { |s| s.remote_address.ip_address } : :none }
show("TCPSocket.new connect_timeout") { TCPSocket.open("localhost", v4_port, connect_timeout: 5) { |s| s.remote_address.ip_address } }
if he
  show("TCPSocket.new fast_fallback: false") do
    TCPSocket.open("localhost", v4_port, fast_fallback: false) { |s| s.remote_address.ip_address }
  end
  show("TCPSocket.new fast_fallback: false refused") { TCPSocket.new("localhost", closed_port, fast_fallback: false) }
end
show("Socket.tcp") { Socket.tcp("localhost", v4_port) { |s| s.remote_address.ip_address } }
show("Socket.tcp connect_timeout") { Socket.tcp("localhost", v4_port, connect_timeout: 5) { |s| s.remote_address.ip_address } }
show("Socket.tcp refused") { Socket.tcp("localhost", closed_port) }
show("Socket.tcp bad port") { Socket.tcp("localhost", -1) }
show("Socket.tcp ::1 only") { v6_port ? Socket.tcp("localhost", v6_port) { |s| s.remote_address.ip_address } : :none }
show("Socket.tcp local host") { Socket.tcp("localhost", v4_port, "localhost", 0) { |s| s.local_address.ip_address } }

show("Addrinfo.getaddrinfo") { Addrinfo.getaddrinfo("localhost", 80, nil, :STREAM) }
show("Addrinfo.getaddrinfo INET6") { Addrinfo.getaddrinfo("localhost", 80, :INET6, :STREAM) }
show("Addrinfo.getaddrinfo INET") { Addrinfo.getaddrinfo("localhost", 80, :INET, :STREAM) }
show("Addrinfo.tcp") { Addrinfo.tcp("localhost", 80) }
show("Socket.getaddrinfo") { Socket.getaddrinfo("localhost", nil) }
show("Socket.getaddrinfo STREAM") { Socket.getaddrinfo("localhost", 80, nil, :STREAM) }
show("IPSocket.getaddress") { IPSocket.getaddress("localhost") }

show("UDPSocket#connect") do
  recv = UDPSocket.new
  recv.bind("127.0.0.1", 0)
  u = UDPSocket.new
  u.connect("localhost", recv.addr[1])
  u.send("x", 0)
  [u.remote_address.ip_address, recv.recv(1)]
ensure
  u&.close
  recv&.close
end
show("UDPSocket#connect INET6") do
  u = UDPSocket.new(Socket::AF_INET6)
  u.connect("localhost", 9)
  u.remote_address.ip_address
ensure
  u&.close
end

show("TCPServer.new") { TCPServer.open("localhost", 0) { |s| s.local_address.ip_address } }
show("Socket.tcp_server_sockets") do
  Socket.tcp_server_sockets("localhost", 0).map { |s| s.local_address.ip_address.tap { s.close } }
end
show("Socket.tcp_server_sockets nil") do
  Socket.tcp_server_sockets(nil, 0).map { |s| s.local_address.ip_address.tap { s.close } }
end

http = TCPServer.new("127.0.0.1", 0)
Thread.new do
  loop do
    c = http.accept
    nil until c.gets.to_s.chomp.empty?
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    c.close
  end
end
show("Net::HTTP.get") { Net::HTTP.get(URI("http://localhost:#{http.addr[1]}/")) }
show("Net::HTTP.start") { Net::HTTP.start("localhost", http.addr[1]) { |h| h.get("/").body } }

show("DRb druby://localhost") do
  front = DRb.start_service("druby://localhost:0", [1, 2, 3])
  remote = DRbObject.new_with_uri(front.uri)
  [front.uri.sub(PORT_NUMBERS, "PORT"), remote.size]
ensure
  DRb.stop_service
end

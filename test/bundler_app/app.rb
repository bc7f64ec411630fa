# frozen_string_literal: true

# Boots as a Rails-style app does (bundler/setup, then Bundler.require), then
# uses sockets through the standard library: Net::HTTP against a TCPServer.
require "bundler/setup"
Bundler.require(:default)
require "socket" # already satisfied by socket_rs: loads nothing
require "net/http"

abort "socket_rs is not loaded" unless defined?(SocketRs::NATIVE_LOADED)
stock = $LOADED_FEATURES.grep(%r{/socket\.so\z})
abort "the stock extension was loaded: #{stock.join(', ')}" unless stock.empty?

server = TCPServer.new("127.0.0.1", 0)
responder = Thread.new do
  client = server.accept
  client.gets("\r\n\r\n")
  client.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
  client.close
end
body = Net::HTTP.get(URI("http://127.0.0.1:#{server.addr[1]}/"))
responder.join
abort "unexpected body #{body.inspect}" unless body == "hello"
so = $LOADED_FEATURES.grep(/socket_rs\.so\z/).first
puts "bundle exec on Ruby #{RUBY_VERSION}: Net::HTTP ran on socket_rs #{SocketRs::VERSION} (#{File.basename(File.dirname(so))}/socket_rs.so)"

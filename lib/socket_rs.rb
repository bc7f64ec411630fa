# frozen_string_literal: true

# socket_rs: Ruby's socket library rebuilt in Rust, as a drop-in.
#
#   require 'socket_rs'   # before anything that uses sockets
#
# Afterwards `require 'socket'` returns false and loads nothing: every library
# that uses sockets runs on socket_rs.

# The stock extension defines the same classes; both cannot live in one process.
if $LOADED_FEATURES.any? { |f| f.end_with?("/socket.so") } ||
   (defined?(::BasicSocket) && !defined?(::SocketRs::NATIVE_LOADED))
  raise LoadError, "socket_rs: the stock socket extension is already loaded " \
                   "(something required 'socket' before 'socket_rs'); " \
                   "require 'socket_rs' first, before any library that uses sockets"
end

# A pending autoload of a socket class from 'socket' (uri/generic.rb has one
# for IPSocket, so uri, net/http's dependency, Bundler and RubyGems all leave
# it) would fire when the native library defines that class, and load the
# stock extension under it. Such an autoload goes; socket_rs's class takes
# its place.
%i[BasicSocket IPSocket TCPSocket TCPServer UDPSocket UNIXSocket UNIXServer Socket Addrinfo SocketError].each do |name|
  path = Object.autoload?(name)
  Object.send(:remove_const, name) if path && File.basename(path.to_s, ".*") == "socket"
end

require "io/wait" # stock's socket.rb loads it; libraries rely on that
require_relative "socket_rs/version"
# One native library per Ruby minor version: a checkout (bin/compile) and the
# platform gem carry lib/socket_rs/X.Y/socket_rs.so; the source gem installs
# socket_rs/socket_rs.so, built by the Ruby that installed it.
abi = RUBY_VERSION[/\A\d+\.\d+/]
built = Dir[File.join(__dir__, "socket_rs", "*", "socket_rs.so")].map { |f| File.basename(File.dirname(f)) }
if built.include?(abi)
  require_relative "socket_rs/#{abi}/socket_rs"
elsif built.empty? || Dir.exist?(File.join(__dir__, "..", "ext"))
  require "socket_rs/socket_rs"
else
  raise LoadError, "socket_rs: this build carries native libraries for Ruby #{built.sort.join(', ')}, " \
                   "not #{RUBY_VERSION}; install the source gem instead: gem install socket_rs --platform ruby"
end
require_relative "socket_rs/ancdata"

module SocketRs
  NATIVE_LOADED = true
end

require_relative "socket_rs/addrinfo"
require_relative "socket_rs/tcp"
require_relative "socket_rs/servers"
require_relative "socket_rs/udp"
require_relative "socket_rs/nonblock"

# From here `require 'socket'` (and 'socket.so') is already satisfied.
$LOADED_FEATURES << "socket.rb" << "socket.so"

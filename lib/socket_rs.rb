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

require "io/wait" # stock's socket.rb loads it; libraries rely on that
require_relative "socket_rs/version"
# One native library per Ruby minor version: a checkout (bin/compile) and the
# platform gem carry lib/socket_rs/X.Y/socket_rs.so; the source gem installs
# socket_rs/socket_rs.so, built by the Ruby that installed it.
if File.exist?(File.join(__dir__, "socket_rs", RUBY_VERSION[/\A\d+\.\d+/], "socket_rs.so"))
  require_relative "socket_rs/#{RUBY_VERSION[/\A\d+\.\d+/]}/socket_rs"
else
  require "socket_rs/socket_rs"
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

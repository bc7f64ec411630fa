# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "rbconfig"
require "tmpdir"
require_relative "../support/prerequisite"

# Differential tests: one Ruby snippet runs under the stock extension and
# under socket_rs, each in its own process, and what they print must match.
module Differential
  LIB = File.expand_path("../../lib", __dir__)

  # Prelude for each case: `show` prints a value, or the class and message of
  # what it raised, one line per call.
  PRELUDE = <<~'RUBY'
    $stdout.sync = true
    def show(label = nil)
      v = yield
      puts "#{label}#{label && ': '}=> #{v.inspect}"
    rescue Exception => e
      puts "#{label}#{label && ': '}!! #{e.class}: #{e.message}"
    end
  RUBY

  def self.run(impl, code)
    args = impl == :stock ? ["-rsocket"] : ["-I", LIB, "-rsocket_rs"]
    # Each child starts in an empty directory of its own, so relative socket
    # paths one implementation binds do not change what the other sees;
    # `timeout` bounds a case that hangs: it fails instead of stalling.
    Dir.mktmpdir("socket_rs_diff") do |dir|
      out, err, status = Open3.capture3("timeout", "60", RbConfig.ruby, *args, "-e", PRELUDE + code, chdir: dir)
      [out, err, status.exitstatus]
    end
  end

  # Runs `code` under both and asserts equal output. `normalize` may rewrite
  # both outputs first (fd numbers, ports, object ids).
  def assert_same_as_stock(code, normalize: nil)
    stock = Differential.run(:stock, code)
    ours = Differential.run(:socket_rs, code)
    s_out, r_out = [stock, ours].map do |o, _, _|
      o = o.gsub(/0x\h{8,16}/, "0xXXXX") # object addresses in messages
      # Ruby 3.4's Socket::ResolutionError (a SocketError) is offered on 3.1.
      o = o.gsub("Socket::ResolutionError", "SocketError")
      normalize ? normalize.call(o) : o
    end
    assert_equal 0, stock[2], "stock failed: #{stock[1]}"
    assert_equal 0, ours[2], "socket_rs failed: #{ours[1]}"
    assert_equal s_out, r_out, "socket_rs differs from stock"
  end

  # Snippets about sockets by address: packed sockaddrs built by hand (sin,
  # sin6, sun) and a listening TCP server are defined before the snippet;
  # ports and fd numbers are normalized in both outputs.
  module Sockaddrs
    SOCKADDR_PRELUDE = <<~'RUBY'
      def sin(port, ip = [127, 0, 0, 1]) = [Socket::AF_INET].pack("S") + [port].pack("n") + ip.pack("C4") + "\0" * 8
      def sin6(port, ip = [0] * 15 + [1]) = [Socket::AF_INET6].pack("S") + [port].pack("n") + "\0" * 4 + ip.pack("C16") + "\0" * 4
      def sun(path) = [Socket::AF_UNIX].pack("S") + path.b + "\0" * (108 - path.bytesize)
      def tcp_server(family = :INET)
        s = Socket.new(family, :STREAM)
        s.setsockopt(:SOCKET, :REUSEADDR, true)
        s.bind(family == :INET ? sin(0) : sin6(0))
        s.listen(5)
        s
      end
    RUBY

    PORTS = ->(s) { s.gsub(/\b\d{4,5}\b/, "PORT").gsub(/fd \d+/, "fd N") }

    def same(code, normalize: PORTS)
      assert_same_as_stock(SOCKADDR_PRELUDE + code, normalize: normalize)
    end
  end
end

Minitest::Test.include(Differential)

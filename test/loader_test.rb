# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "rbconfig"

# The drop-in loader, checked in child processes so each starts clean.
class LoaderTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)

  def ruby(*args)
    Open3.capture3(RbConfig.ruby, "-I", LIB, *args)
  end

  def test_require_socket_afterwards_loads_nothing
    out, err, st = ruby("-e", <<~RUBY)
      require "socket_rs"
      p require("socket")
      p require("socket.so")
      p $LOADED_FEATURES.grep(%r{/socket\\.(so|rb)\\z})
      p [SocketRs::VERSION.class, defined?(TCPSocket), defined?(Addrinfo), Socket::ResolutionError.superclass]
    RUBY
    assert st.success?, err
    assert_equal "false\nfalse\n[]\n[String, \"constant\", \"constant\", SocketError]\n", out
  end

  def test_stock_loaded_first_is_a_load_error_that_says_what_to_do
    out, _err, st = ruby("-e", <<~RUBY)
      require "socket"
      begin
        require "socket_rs"
      rescue LoadError => e
        puts e.message
      end
    RUBY
    assert st.success?
    assert_match(/already loaded/, out)
    assert_match(/require 'socket_rs' first/, out)
  end

  def test_top_level_constants_match_stock
    code = 'puts %w[BasicSocket IPSocket TCPSocket TCPServer UDPSocket UNIXSocket UNIXServer ' \
           'Socket Addrinfo SocketError].map { |c| k = Object.const_get(c); "#{k} < #{k.superclass}" }'
    stock, = Open3.capture3(RbConfig.ruby, "-rsocket", "-e", code)
    ours, = ruby("-rsocket_rs", "-e", code)
    assert_equal stock, ours
  end
end

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

  # uri/generic.rb registers `autoload :IPSocket, "socket"`: uri (which
  # RubyGems, Bundler and net/http load) before socket_rs must not let the
  # native library's IPSocket fire it and load the stock extension.
  def test_a_pending_socket_autoload_does_not_load_stock
    out, err, st = ruby("-W0", "-ruri", "-e", <<~RUBY)
      p Object.autoload?(:IPSocket)
      require "socket_rs"
      p $LOADED_FEATURES.grep(%r{/socket\.(so|rb)\z})
      p [Object.autoload?(:IPSocket), IPSocket.superclass, URI("http://127.0.0.1:1/").host]
    RUBY
    assert st.success?, err
    assert_equal "\"socket\"\n[]\n[nil, BasicSocket, \"127.0.0.1\"]\n", out
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

  # With the stock socket.so made unloadable (bound over with /dev/null in a
  # mount namespace of the test's own), socket_rs stands alone.
  def test_works_with_the_stock_extension_unloadable
    skip "needs root and unshare(1) for a private mount namespace" unless Process.euid.zero? && system("which unshare > /dev/null 2>&1")

    # Under qemu (bin/cross) the arm64 Ruby's files are in the root it serves.
    stock = File.join(ENV.fetch("SOCKET_RS_QEMU_ROOT", "/"), RbConfig::CONFIG["archdir"], "socket.so")
    script = <<~RUBY
      begin
        require "socket"
        puts "stock loadable"
      rescue LoadError
        puts "stock unloadable"
      end
      require "socket_rs"
      p require("socket")
      a, b = Socket.pair(:UNIX, :STREAM)
      a.send("slice", 0)
      p b.recv(5)
      require "net/http"
      p defined?(Net::HTTP)
    RUBY
    cmd = "mount --bind /dev/null #{stock} && #{RbConfig.ruby} -I #{LIB} -e '#{script.gsub("'", "'\\''")}'"
    out, err, st = Open3.capture3("unshare", "-m", "sh", "-c", cmd)
    assert st.success?, err
    assert_equal "stock unloadable\nfalse\n\"slice\"\n\"constant\"\n", out
  end
end


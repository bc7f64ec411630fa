# frozen_string_literal: true

require_relative "differential_helper"

# Mismatches with stock the reliability fuzz (test/reliability/fuzz_test.rb)
# found, kept as plain differential cases.
class FuzzFindingsDifferentialTest < Minitest::Test
  def test_found_by_the_fuzz
    assert_same_as_stock(<<~'RUBY', normalize: ->(s) { s.gsub(/fd \d+/, "fd N") })
      a, b = UNIXSocket.pair
      show { a.__send__(:do_not_reverse_lookup=, 5).class }
      show { a.__send__(:do_not_reverse_lookup=, nil).equal?(a) }
      show { BasicSocket.__send__(:do_not_reverse_lookup=, true) }
      [a, b].each(&:close)
      tcp = Addrinfo.tcp("127.0.0.1", 80)
      show { tcp.family_addrinfo(Addrinfo.tcp("127.0.0.1", 1), "x") }
      show { tcp.family_addrinfo(Addrinfo.ip("127.0.0.1")) }
      show { tcp.family_addrinfo(Addrinfo.udp("127.0.0.1", 1)) }
      show { tcp.family_addrinfo(Addrinfo.new(Socket.sockaddr_in(1, "127.0.0.1"))) }
      show { tcp.family_addrinfo(Addrinfo.new(Socket.sockaddr_in(1, "127.0.0.1"), :INET, :STREAM, 17)) }
      show { tcp.family_addrinfo(Addrinfo.tcp("::1", 1)) }
      show { Addrinfo.unix("/x", :DGRAM).family_addrinfo("/y") }
      # Only the class: the message holds the raw bytes (ours differs there).
      klass = ->(&blk) { blk.call.class rescue $!.class }
      show { klass.call { Socket.getservbyname("x", "\xD8\x96".b) } }
      show { klass.call { Socket.getservbyname("\xD8".b, "tcp") } }
      show { klass.call { Socket.getservbyport(1, "\xD8x".b) } }
      # recvmsg: every argument is coerced before a buffer size is refused.
      r, w = UNIXSocket.pair
      [[-1, 0], [-1, "x"], ["x", "y"], [10, "y", -1], [10, 0, -1], [1, 0, "z"]].each do |args|
        show(args.inspect) { r.recvmsg_nonblock(*args, exception: false) }
      end
      [r, w].each(&:close)
      u = UDPSocket.new
      show { u.bind(0, "http") }
      show { u.connect("127.0.0.1", "http") }
      u.close
    RUBY
  end

  # Bad input the fuzz found answering differently (issue 16), in stock's
  # order of checks on the running Ruby.
  def test_bad_input_checked_as_stock
    assert_same_as_stock(<<~'RUBY', normalize: ->(s) { s.gsub(/fd \d+/, "fd N").gsub(/port \d+/, "port N") })
      show("getpeereid on IPSocket") { TCPServer.new("127.0.0.1", 0).respond_to?(:getpeereid) }
      show("unix_server_socket bad bytes") { Socket.unix_server_socket("\xFF\xFE!") }
      show("connect_nonblock long") { Socket.new(:UNIX, :STREAM).connect_nonblock("x" * 5000) }
      show("connect long") { Socket.new(:UNIX, :STREAM).connect("x" * 5000) }
      show("bind long") { Socket.new(:UNIX, :STREAM).bind("x" * 5000) }
      # Up to an Addrinfo's 2048 bytes the kernel refuses a long sockaddr
      # (EINVAL, described); past it stock cannot describe it: ArgumentError.
      [300, 2048, 2049].each do |n|
        show("connect #{n} bytes") { Socket.new(:INET, :STREAM).connect("\x02\x00" + "a" * (n - 2)) }
        show("bind #{n} bytes") { Socket.new(:UNIX, :STREAM).bind("\x01\x00" + "a" * (n - 2)) }
      end
      show("connect_timeout 2**64 name") { TCPSocket.new("localhost", 1, connect_timeout: 2**64) }
      show("connect_timeout bad") { TCPSocket.new("localhost", 1, connect_timeout: "x") }
      closed = TCPServer.new("127.0.0.1", 0)
      closed.close
      show("peeraddr(0) closed") { closed.peeraddr(0) }
      show("addr(:numeric) closed") { closed.addr(:numeric) }
    RUBY
  end
end

# frozen_string_literal: true

require "test_helper"

class OptionTest < Minitest::Test
  O = Socket::Option

  def test_new_coerces_names_and_keeps_fields
    o = O.new(:INET, :SOCKET, :REUSEADDR, [1].pack("i"))
    assert_equal [Socket::AF_INET, Socket::SOL_SOCKET, Socket::SO_REUSEADDR], [o.family, o.level, o.optname]
    assert_equal [1].pack("i"), o.data
    assert_same o.data, o.to_s
    assert_equal [1], o.unpack("i")
    assert_equal [], o.instance_variables
    o2 = O.new("AF_INET6", "IPPROTO_TCP", "TCP_NODELAY", "")
    assert_equal [Socket::AF_INET6, Socket::IPPROTO_TCP, Socket::TCP_NODELAY], [o2.family, o2.level, o2.optname]
    assert_equal Socket::SO_KEEPALIVE, O.new(:UNIX, :SOCKET, :KEEPALIVE, "").optname
  end

  def test_new_rejects_bad_names
    e = assert_raises(SocketError) { O.new(:INET, :SOCKET, :NOPE, "") }
    assert_equal "unknown socket level option name: NOPE", e.message
    e = assert_raises(SocketError) { O.new(:UNIX, :TCP, :NODELAY, "") }
    assert_equal "unknown protocol level: TCP", e.message
    assert_raises(TypeError) { O.new(:UNIX, 6, :NODELAY, "") }
    assert_raises(TypeError) { O.new(:INET, :SOCKET, :KEEPALIVE, 5) }
    assert_raises(RangeError) { O.new(:INET, 2**31, 1, "") }
  end

  def test_int_byte_bool
    assert_equal 7, O.int(:INET, :SOCKET, :SNDBUF, 7).int
    assert_equal "\xFF".b, O.byte(:INET, :IP, :TTL, -1).data
    assert_equal 44, O.byte(:INET, :IP, :TTL, 300).byte
    assert_equal true, O.bool(:INET, :SOCKET, :KEEPALIVE, 0).bool
    assert_equal false, O.bool(:INET, :SOCKET, :KEEPALIVE, nil).bool
    assert_equal false, O.byte(:INET, :SOCKET, :KEEPALIVE, 0).bool
    e = assert_raises(TypeError) { O.byte(:INET, :SOCKET, :KEEPALIVE, 1).int }
    assert_equal "size differ.  expected as sizeof(int)=4 but 1", e.message
    e = assert_raises(TypeError) { O.int(:INET, :SOCKET, :KEEPALIVE, 1).byte }
    assert_equal "size differ.  expected as sizeof(char)=1 but 4", e.message
    assert_raises(RangeError) { O.int(:INET, :SOCKET, :KEEPALIVE, 2**31) }
    e = assert_raises(TypeError) { O.int(:INET, :SOCKET, :KEEPALIVE, nil) }
    assert_equal "no implicit conversion of nil into Integer", e.message
  end

  def test_linger
    o = O.linger(true, 5)
    assert_equal [Socket::AF_UNSPEC, Socket::SOL_SOCKET, Socket::SO_LINGER], [o.family, o.level, o.optname]
    assert_equal [true, 5], o.linger
    assert_equal [false, 0], O.linger(nil, 0).linger
    assert_equal [7, 1], O.linger(7, 1).linger
    assert_equal "#<Socket::Option: UNSPEC SOCKET LINGER on(7) 1sec>", O.linger(7, 1).inspect
    e = assert_raises(TypeError) { O.int(:INET, :SOCKET, :KEEPALIVE, 1).linger }
    assert_equal "linger socket option expected", e.message
  end

  def test_multicast
    assert_equal 1, O.ipv4_multicast_loop(1).ipv4_multicast_loop
    assert_equal 64, O.ipv4_multicast_ttl(64).ipv4_multicast_ttl
    assert_equal "#<Socket::Option: INET IP MULTICAST_TTL 64>", O.ipv4_multicast_ttl(64).inspect
    e = assert_raises(TypeError) { O.int(:INET6, :IP, :MULTICAST_TTL, 1).ipv4_multicast_ttl }
    assert_equal "ipv4_multicast_ttl socket option expected", e.message
  end

  def test_inspect_decodes_known_options
    {
      [:INET, :SOCKET, :TYPE, [1].pack("i")] => "INET SOCKET TYPE SOCK_STREAM",
      [:INET, :SOCKET, :ERROR, [111].pack("i")] => "INET SOCKET ERROR Connection refused (111)",
      [:INET, :SOCKET, :RCVTIMEO, [1, 500].pack("q!q!")] => "INET SOCKET RCVTIMEO 1.000500sec",
      [:UNIX, :SOCKET, :PEERCRED, [1, 2, 3].pack("iii")] => "UNIX SOCKET PEERCRED pid=1 euid=2 egid=3 (ucred)",
      [:INET, :IP, :ADD_MEMBERSHIP, [224, 0, 0, 1, 127, 0, 0, 1].pack("C8")] => "INET IP ADD_MEMBERSHIP 224.0.0.1 127.0.0.1",
      [:INET6, :IPV6, :MULTICAST_LOOP, [-1].pack("i")] => "INET6 IPV6 MULTICAST_LOOP 4294967295",
      [:INET, :TCP, :NODELAY, "\x01"] => 'INET TCP NODELAY "\x01"',
      [12_345, 6, 1, ""] => 'family:12345 level:6 optname:1 ""',
      [:UNIX, 0, 1, "ab"] => 'UNIX level:0 optname:1 "ab"'
    }.each do |args, text|
      assert_equal "#<Socket::Option: #{text}>", O.new(*args).inspect
    end
  end

  def test_getsockopt_on_real_sockets
    a, b = Socket.pair(:UNIX, :STREAM)
    o = a.getsockopt(:SOCKET, :TYPE)
    assert_instance_of O, o
    assert_equal Socket::SOCK_STREAM, o.int
    assert_equal "#<Socket::Option: UNIX SOCKET TYPE SOCK_STREAM>", o.inspect
    cred = a.getsockopt(:SOCKET, :PEERCRED)
    assert_match(/\A#<Socket::Option: UNIX SOCKET PEERCRED pid=#{Process.pid} euid=#{Process.euid} egid=#{Process.egid} \(ucred\)>\z/, cred.inspect)
    [a, b].each(&:close)
  end

  def test_tcp_info
    skip_under_qemu("getsockopt(TCP_INFO) returns 4 bytes, not a struct tcp_info")
    t = Socket.new(:INET, :STREAM)
    assert_match(/\A#<Socket::Option: INET TCP INFO state=CLOSED ca_state=Open /, t.getsockopt(:TCP, :INFO).inspect)
  ensure
    t&.close
  end

  def test_subclass_and_copies
    sub = Class.new(O)
    o = sub.new(:INET, :SOCKET, :KEEPALIVE, [1].pack("i"))
    assert_match(/\A#<#<Class:0x\h+>: INET SOCKET KEEPALIVE 1>\z/, o.inspect)
    assert_equal o.inspect, o.dup.inspect
    assert_equal "#<Socket::Option: INET SOCKET KEEPALIVE 1>",
                 Marshal.load(Marshal.dump(O.int(:INET, :SOCKET, :KEEPALIVE, 1))).inspect
  end
end

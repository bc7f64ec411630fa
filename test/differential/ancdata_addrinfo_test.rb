# frozen_string_literal: true

require_relative "differential_helper"

# sendmsg/recvmsg and AncillaryData cases that print Addrinfo objects or
# need Socket#bind/#setsockopt: they run once the Addrinfo and Socket core
# branches are merged.
class AncdataAddrinfoDifferentialTest < Minitest::Test
  NORMALIZE = lambda do |s|
    s.gsub(/fd \d+/, "fd N").gsub(/RIGHTS [\d ]+/, "RIGHTS N")
     .gsub(/pid=\d+ uid=\d+ gid=\d+/, "pid=P uid=U gid=G")
     .gsub(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/, "TIME")
     .gsub(/127\.0\.0\.1:\d+/, "127.0.0.1:PORT")
     .gsub(/\[::1\]:\d+/, "[::1]:PORT")
  end

  def test_recvmsg_results
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      a, b = UNIXSocket.pair
      show { b.sendmsg("hello"); a.recvmsg }
      show { b.sendmsg("hello"); a.recvmsg(2) }
      show { a.recvmsg(10) }
      o = Object.new
      def o.to_ary = [:SOCKET, :RIGHTS, [0].pack("i")]
      show { b.sendmsg("o", 0, nil, o) }
      c = Struct.new(:level, :type, :data).new(:SOCKET, :RIGHTS, [1].pack("i"))
      show { b.sendmsg("c", 0, nil, c) }
      show { r = a.recvmsg(10, 0, 100); [r[0], r[2], r[3..].map(&:class)] }
      show { r = a.recvmsg(10, 0, 100, scm_rights: true); [r[0], r[2], r[3].unix_rights.map(&:class)] }
      show { b.sendmsg("xy", nil, nil) }
      show { r = a.recvmsg(1); [r[0], r[2]] }
      show { r = a.recvmsg(1, Socket::MSG_PEEK); [r[0], r[2]] }
      show { r = a.recvmsg(nil); [r[0], r[0].encoding, r[0].frozen?, r[2], r.size] }
      show { b.write("buf"); a.read(1); a.recvmsg }
      d1, d2 = UNIXSocket.pair(:DGRAM)
      show { d2.sendmsg("dgram"); d1.recvmsg }
      show { d2.sendmsg("abcdef"); d1.recvmsg(2) }
      # MSG_TRUNC: the kernel reports 6 bytes into a 2-byte buffer; the
      # String has the reported size, and only its first 2 bytes were
      # received (stock 4.0 leaves the rest uninitialized, socket_rs zeroes it).
      show { d2.sendmsg("abcdef"); r = d1.recvmsg(2, Socket::MSG_TRUNC); [r[0].bytesize, r[0][0, 2], *r[1..]] }
      show { d2.sendmsg("x", 0, nil, Socket::AncillaryData.unix_rights(STDIN, STDIN)); d1.recvmsg(nil, 0, 20) }
      show { d2.sendmsg("x", 0, nil, Socket::AncillaryData.unix_rights(STDIN)); d1.recvmsg_nonblock }
      dir = "/tmp/rsdiff_ancaddr_#{$$}"
      Dir.mkdir(dir)
      s1 = Socket.new(:UNIX, :DGRAM)
      s1.bind(Socket.sockaddr_un("#{dir}/one"))
      s2 = Socket.new(:UNIX, :DGRAM)
      s2.bind(Socket.sockaddr_un("#{dir}/two"))
      show { s2.sendmsg("to one", 0, Socket.sockaddr_un("#{dir}/one")); s1.recvmsg[0..2].map { |x| x.inspect.sub(dir, "DIR") } }
      show { s2.sendmsg("to one", 0, Addrinfo.unix("#{dir}/one")); s1.recvmsg[0] }
      [s1, s2].each(&:close)
      File.delete("#{dir}/one", "#{dir}/two")
      Dir.rmdir(dir)
    RUBY
  end

  def test_pktinfo_addrinfos
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      show { A.ip_pktinfo(Addrinfo.ip("127.0.0.1"), 1).ip_pktinfo }
      show { A.ip_pktinfo(Addrinfo.ip("127.0.0.1"), 5, Addrinfo.ip("10.0.0.1")).ip_pktinfo }
      show { A.ip_pktinfo(Addrinfo.ip("::1"), 1) }
      show { A.ip_pktinfo(Addrinfo.tcp("127.0.0.1", 80), 0).inspect }
      show { A.new(:INET, :IP, :PKTINFO, "x" * 12).ip_pktinfo }
      show { A.new(:UNIX, 0, 8, "x" * 12).ip_pktinfo }
      show { A.ipv6_pktinfo(Addrinfo.ip("::1"), 1).ipv6_pktinfo }
      show { A.ipv6_pktinfo(Addrinfo.ip("fe80::1"), 1).ipv6_pktinfo }
      show { A.ipv6_pktinfo(Addrinfo.ip("fe80::1"), 1).ipv6_pktinfo_addr }
      show { A.ipv6_pktinfo(Addrinfo.ip("fe80::1"), 99).ipv6_pktinfo_addr }
      show { A.ipv6_pktinfo(Addrinfo.ip("::ffff:1.2.3.4"), 0).ipv6_pktinfo }
      show { A.ipv6_pktinfo(Addrinfo.ip("127.0.0.1"), 0) }
      show { A.new(:UNIX, 41, 50, "x" * 20).ipv6_pktinfo }
      show { A.new(:INET6, :IPV6, :PKTINFO, ("\0" * 15 + "\1" + [7].pack("L")).b).ipv6_pktinfo_addr }
    RUBY
  end

  def test_udp_pktinfo
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      [[:INET, "127.0.0.1", :IP, :PKTINFO], [:INET6, "::1", :IPV6, :RECVPKTINFO]].each do |fam, host, level, opt|
        r = Socket.new(fam, :DGRAM)
        r.setsockopt(level, opt, 1)
        r.bind(Addrinfo.udp(host, 0))
        s = Socket.new(fam, :DGRAM)
        s.bind(Addrinfo.udp(host, 0))
        s.send("pkt", 0, r.local_address)
        show { m = r.recvmsg; [m[0], m[1].inspect, m[2], m[3].inspect] }
        s.send("pkt", 0, r.local_address)
        show { m = r.recvmsg; c = m[3]; fam == :INET ? c.ip_pktinfo : [c.ipv6_pktinfo, c.ipv6_pktinfo_addr, c.ipv6_pktinfo_ifindex] }
        s.send("pkt", 0, r.local_address)
        show { r.recvmsg(1, 0, 10)[2] & (Socket::MSG_TRUNC | Socket::MSG_CTRUNC) }
        show { s.sendmsg("with pktinfo", 0, r.local_address, fam == :INET ? Socket::AncillaryData.ip_pktinfo(Addrinfo.ip(host), 0) : Socket::AncillaryData.ipv6_pktinfo(Addrinfo.ip(host), 0)) }
        show { r.recvmsg_nonblock[0] }
        show { r.recvmsg_nonblock(exception: false) }
      end
    RUBY
  end

  def test_credentials_and_timestamps
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      a, b = UNIXSocket.pair(:DGRAM)
      a.setsockopt(:SOCKET, :PASSCRED, 1)
      b.sendmsg("cred")
      show { m = a.recvmsg; [m[0], m[3].inspect, m[3].cmsg_is?(:SOCKET, :CREDENTIALS), m[3].data.unpack("lLL") == [Process.pid, Process.uid, Process.gid]] }
      show { b.sendmsg("own", 0, nil, [:SOCKET, :CREDENTIALS, [Process.pid, Process.uid, Process.gid].pack("lLL")]); a.recvmsg[3].inspect }
      show { b.sendmsg("bad", 0, nil, [:SOCKET, :CREDENTIALS, [1, 0, 0].pack("lLL")]) }
      u = Socket.new(:INET, :DGRAM)
      u.setsockopt(:SOCKET, :TIMESTAMP, true)
      u.bind(Addrinfo.udp("127.0.0.1", 0))
      u.send("t", 0, u.local_address)
      show { m = u.recvmsg; t = m[3].timestamp; [m[3].inspect, t.class, (Time.now - t).abs < 60] }
    RUBY
  end

  def test_timestamps_in_nanoseconds
    skip_under_qemu("setsockopt(SO_TIMESTAMPNS) is not emulated (ENOPROTOOPT)")
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      u = Socket.new(:INET, :DGRAM)
      u.setsockopt(:SOCKET, :TIMESTAMPNS, true)
      u.bind(Addrinfo.udp("127.0.0.1", 0))
      u.send("t", 0, u.local_address)
      show { m = u.recvmsg; t = m[3].timestamp; [m[3].inspect, t.class, (Time.now - t).abs < 60] }
    RUBY
  end
end

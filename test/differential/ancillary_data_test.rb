# frozen_string_literal: true

require_relative "differential_helper"

# Socket::AncillaryData, sendmsg/recvmsg argument handling and
# UNIXSocket#send_io/recv_io against the stock extension. Nothing here prints
# an Addrinfo (see ancdata_addrinfo_test.rb for those, run after merge).
class AncillaryDataDifferentialTest < Minitest::Test
  NORMALIZE = ->(s) { s.gsub(/fd \d+/, "fd N").gsub(/rsdiff_ancdata_\d+/, "rsdiff_ancdata_PID") }

  def test_constructor_names_levels_and_types
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      fams = [:UNIX, :INET, :INET6, "AF_INET", "PF_UNIX", :UNSPEC, 0, 1, 2, 10, 99, :FOO, "x\0y", nil, 1.5]
      levels = [:SOCKET, "SOL_SOCKET", :IP, :IPV6, :TCP, :UDP, "IPPROTO_IP", :RAW, 0, 1, 41, 6, 17, 255, 99, :BAD, nil]
      types = [:RIGHTS, "SCM_RIGHTS", :CREDENTIALS, :TIMESTAMP, :TIMESTAMPNS, :PKTINFO, "IP_PKTINFO", :TTL, :TOS,
               :RECVPKTINFO, :HOPLIMIT, :NODELAY, :CORK, :FOO, 0, 1, 8, 50, 99, nil, "RIGHTS\0"]
      fams.each do |f|
        levels.each do |l|
          types.each do |t|
            show("#{f.inspect} #{l.inspect} #{t.inspect}") { a = A.new(f, l, t, "d"); [a, a.family, a.level, a.type, a.data] }
          end
        end
      end
    RUBY
  end

  def test_inspect_of_every_level_and_type
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      [:UNIX, :INET, :INET6, 0, 99].each do |f|
        ([1, 0, 41, 6, 17, 255, 99] + (2..20).to_a).each do |l|
          (0..80).each { |t| show { A.new(f, l, t, "\x00\xff").inspect } }
        end
      end
    RUBY
  end

  def test_inspect_decoded_forms
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      datas = ["", "x", "abc", "\0" * 4, [1].pack("i"), [1, 2].pack("ii"), [-1, 7, 2**31 - 1].pack("iii"),
               [1, 2, 3].pack("LLL"), [2**32 - 1, 0, 5].pack("LLL"), "x" * 12, [2**40, 5].pack("qq"), [0, 5].pack("qq"),
               [1_700_000_000, 999_999].pack("qq"), [1_700_000_000, 123].pack("qq"), [0, -5].pack("qq"),
               [-1, 0].pack("qq"), [2**31, 999_999_999].pack("qq"), [1, 0, 127, 0, 0, 1, 0, 0, 0, 2].pack("iC4C4x0"),
               [1].pack("i") + [127, 0, 0, 1, 10, 0, 0, 1].pack("C8"), [99_999].pack("i") + "\0" * 8,
               [-5].pack("i") + "\x01\x02\x03\x04\x05\x06\x07\x08", "\0" * 20, "x" * 20,
               ("\xfe\x80" + "\0" * 13 + "\1" + [1].pack("L")).b, ("\0" * 15 + "\1" + [2**32 - 1].pack("L")).b,
               ("\0" * 12 + "\1\2\3\4" + [0].pack("L")).b, ("\0" * 10 + "\xff\xff\1\2\3\4" + [1].pack("L")).b,
               ("\x20\x01\x0d\xb8" + "\0" * 11 + "\1" + [3].pack("L")).b, ("\0\1" + "\0" * 14 + [0].pack("L")).b,
               "é", "\xff\x00".b, "x".encode("UTF-16LE"), "ab\n\"\\"]
      cases = [[:UNIX, :SOCKET, :RIGHTS], [:INET, :SOCKET, :RIGHTS], [:UNIX, :SOCKET, :CREDENTIALS],
               [:UNIX, :SOCKET, :TIMESTAMP], [:INET6, :SOCKET, :TIMESTAMPNS], [:INET, :IP, :PKTINFO],
               [:INET6, :IP, :PKTINFO], [:INET6, :IPV6, :PKTINFO], [:INET, :IPV6, :PKTINFO],
               [:UNIX, 0, 8], [:UNIX, 41, 50], [:INET, :IP, :TTL], [:UNIX, :SOCKET, 99]]
      cases.each do |f, l, t|
        datas.each { |d| show { A.new(f, l, t, d).inspect } }
      end
    RUBY
  end

  def test_accessors_and_conversions
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      s = +"ab"
      show { a = A.new(:UNIX, :SOCKET, :RIGHTS, s); [a.data.equal?(s), a.data.frozen?, a.instance_variables] }
      o = Object.new
      def o.to_str = "conv"
      show { A.new(:UNIX, :SOCKET, :RIGHTS, o).data }
      show { A.new(:UNIX, :SOCKET, :RIGHTS, 12) }
      show { A.new(:UNIX, :SOCKET, :RIGHTS) }
      show { A.new }
      show { A.allocate.family }
      show { A.allocate.level }
      show { A.allocate.type }
      show { A.allocate.data }
      show { A.allocate.inspect }
      show { A.allocate.int }
      show { A.allocate.cmsg_is?(:SOCKET, :RIGHTS) }
      show { Class.new(A).new(:UNIX, :SOCKET, :RIGHTS, "").inspect.sub(/0x\h+/, "X") }
      show { Class.new(A).int(:UNIX, :SOCKET, :RIGHTS, 1).class }
      [0, 1, -1, 2**31 - 1, -2**31, 2**31, 2**40, "1", nil, 1.9].each do |i|
        show(i.inspect) { a = A.int(:UNIX, :SOCKET, :RIGHTS, i); [a, a.data, a.int] }
      end
      show { A.int(:INET, :IP, :TTL, 64).int }
      show { A.int(:FOO, :IP, :TTL, 64) }
      show { A.int(:INET, :BAR, :TTL, 64) }
      show { A.int(:INET, :IP, :BAZ, 64) }
      show { A.int(:INET, :IP, :TTL) }
      ["", "abc", "abcd", "abcde", "\xff\xff\xff\xff"].each { |d| show { A.new(:UNIX, :SOCKET, :RIGHTS, d).int } }
      a = A.new("AF_UNIX", "SOL_SOCKET", "SCM_RIGHTS", "")
      [[:SOCKET, :RIGHTS], ["SOCKET", "RIGHTS"], [1, 1], [1, 2], [:SOCKET, :FOO], [:IP, :PKTINFO], [0, 8], [nil, 1]].each do |l, t|
        show { a.cmsg_is?(l, t) }
      end
      b = A.new(:INET, :IP, :PKTINFO, "")
      [[:IP, :PKTINFO], [:IPV6, :PKTINFO], [0, 8], [:IP, :FOO], [:SOCKET, :RIGHTS], [:TCP, :NODELAY]].each do |l, t|
        show { b.cmsg_is?(l, t) }
      end
      show { a.cmsg_is?(:SOCKET) }
      show { [A.new(:UNIX, :SOCKET, :RIGHTS, "é").inspect.encoding, A.int(:UNIX, :SOCKET, :RIGHTS, 1).inspect.encoding] }
    RUBY
  end

  def test_typed_accessors_on_wrong_data
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      objs = [A.new(:UNIX, :SOCKET, :RIGHTS, ""), A.new(:UNIX, :SOCKET, :RIGHTS, "abcd"),
              A.new(:INET, :IP, :PKTINFO, ""), A.new(:INET, :IP, :PKTINFO, "x" * 11),
              A.new(:INET6, :IPV6, :PKTINFO, "x" * 19), A.new(:INET, :IPV6, :PKTINFO, "x" * 21),
              A.new(:UNIX, :SOCKET, :TIMESTAMP, "x" * 8), A.new(:UNIX, :SOCKET, :TIMESTAMPNS, "x" * 15),
              A.new(:UNIX, :SOCKET, :CREDENTIALS, "x" * 12), A.new(:UNIX, 0, 8, "x" * 11),
              A.new(:UNIX, 41, 51, "x" * 20), A.new(:UNIX, :SOCKET, 35, [2**40, 7].pack("qq"))]
      objs.each do |a|
        %i[unix_rights timestamp ip_pktinfo ipv6_pktinfo ipv6_pktinfo_addr ipv6_pktinfo_ifindex int].each do |m|
          show("#{a.inspect} #{m}") { a.public_send(m) }
        end
      end
      show { A.new(:UNIX, 41, 50, "x" * 20).ipv6_pktinfo_ifindex }
      show { A.new(:UNIX, :SOCKET, :TIMESTAMP, [1_700_000_000, 123_456].pack("qq")).timestamp.utc }
      show { A.new(:UNIX, :SOCKET, :TIMESTAMPNS, [1_700_000_000, 123_456_789].pack("qq")).timestamp.utc.nsec }
      show { A.new(:UNIX, :SOCKET, :TIMESTAMP, [-1, 0].pack("qq")).timestamp.utc }
      show { A.new(:UNIX, :SOCKET, :TIMESTAMP, [0, 5_000_000].pack("qq")).timestamp.utc }
      show { A.new(:UNIX, :SOCKET, :TIMESTAMPNS, [0, -1].pack("qq")).timestamp.utc }
      show { A.new(:INET6, :IPV6, :PKTINFO, ("\0" * 16 + [7].pack("L")).b).ipv6_pktinfo_ifindex }
      show { A.new(:INET6, :IPV6, :PKTINFO, ("\0" * 16 + [2**32 - 1].pack("L")).b).ipv6_pktinfo_ifindex }
    RUBY
  end

  def test_unix_rights_constructor
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      A = Socket::AncillaryData
      show { A.unix_rights(STDIN, STDOUT) }
      show { A.unix_rights(STDIN, STDOUT).unix_rights }
      show { A.unix_rights(STDIN).unix_rights.frozen? }
      show { A.unix_rights }
      show { A.unix_rights.unix_rights }
      show { A.unix_rights(STDIN, 3) }
      show { A.unix_rights(STDIN, "x") }
      show { A.unix_rights(nil) }
      show { A.unix_rights(Object.new) }
      o = Object.new
      def o.to_io = STDIN
      show { A.unix_rights(o) }
      show { r, w = IO.pipe; r.close; A.unix_rights(w, r) }
      show { A.unix_rights(IO.allocate) }
      show { a, b = UNIXSocket.pair; x = A.unix_rights(a, b); [x.family, x.level, x.type, x.data.size, x.unix_rights.map(&:class)] }
      show { A.unix_rights(STDIN).cmsg_is?(:SOCKET, :RIGHTS) }
    RUBY
  end

  def test_pktinfo_constructors
    assert_same_as_stock(<<~'RUBY')
      A = Socket::AncillaryData
      sin = ->(a, fam = 2, pad = 8) { [fam, 0, *a].pack("SnC4") + "\0" * pad }
      sin6 = ->(a, fam = 10) { [fam, 0, 0].pack("SnN") + a.b + [0].pack("L") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1).data.unpack("iC4C4") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 3, sin.([10, 0, 0, 1])).data.unpack("iC4C4") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1, nil).data.unpack("iC4C4") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1).inspect }
      show { x = A.ip_pktinfo(sin.([127, 0, 0, 1]), 1); [x.family, x.level, x.type] }
      show { A.ip_pktinfo("x", 1) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1], 10), 1) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1], 2, 7), 1) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1, "abc") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1, sin.([1, 2, 3, 4], 1)) }
      show { A.ip_pktinfo("x", -1) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), -1).data.unpack1("i") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 2**32) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), -2**32) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), "1") }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), nil) }
      show { A.ip_pktinfo(nil, 1) }
      show { A.ip_pktinfo(12, 1) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1])) }
      show { A.ip_pktinfo(sin.([127, 0, 0, 1]), 1, nil, 4) }
      show { A.ipv6_pktinfo(sin6.("\0" * 15 + "\1"), 1).data }
      show { A.ipv6_pktinfo(sin6.("\0" * 15 + "\1"), 1).inspect }
      show { x = A.ipv6_pktinfo(sin6.("\0" * 15 + "\1"), 1); [x.family, x.level, x.type, x.ipv6_pktinfo_ifindex] }
      show { A.ipv6_pktinfo(sin6.("\0" * 15 + "\1", 2), 1) }
      show { A.ipv6_pktinfo(sin6.("\0" * 15 + "\1") + "x", 1) }
      show { A.ipv6_pktinfo("x", 1) }
      show { A.ipv6_pktinfo(sin6.("\0" * 16), 2**32) }
      show { A.ipv6_pktinfo(sin6.("\0" * 16), -1).ipv6_pktinfo_ifindex }
      show { A.ipv6_pktinfo(sin6.("\0" * 16)) }
      show { A.ipv6_pktinfo(nil, 0) }
    RUBY
  end

  def test_sendmsg_recvmsg_arguments
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      require "timeout"
      a, b = UNIXSocket.pair
      show { a.recvmsg(-1) }
      show { a.recvmsg(1, 0, -1) }
      show { a.recvmsg(nil, nil) }
      show { a.recvmsg("x") }
      show { a.recvmsg(1, 0, 1, 2) }
      show { a.recvmsg(foo: 1) }
      show { a.recvmsg_nonblock }
      show { a.recvmsg_nonblock(exception: false) }
      show { a.recvmsg_nonblock(exception: nil) }
      show { a.recvmsg_nonblock(nil, 0, nil, foo: 1) }
      show { e = (a.recvmsg_nonblock rescue $!); [e.is_a?(IO::WaitReadable), e.class.ancestors.include?(Errno::EAGAIN)] }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS]) }
      show { b.sendmsg("x", 0, nil, 3) }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :FOO, ""]) }
      show { b.sendmsg("x", 0, nil, [:IP, :FOO, ""]) }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, 5]) }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, [99_999].pack("i")]) }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, [-1].pack("i")]) }
      show { b.sendmsg("x", 0, nil, [99, 99, "data"]) }
      show { b.sendmsg(3) }
      show { b.sendmsg("x", "0") }
      show { b.sendmsg("x", 0, 12) }
      show { b.sendmsg("x", 0, "zz") }
      show { b.sendmsg }
      show { b.sendmsg_nonblock("x", 0, nil, [:SOCKET, :FOO, ""]) }
      show { b.sendmsg_nonblock("x", 0, nil, exception: false) }
      show { b.sendmsg_nonblock("x", 0, nil, bar: false) }
      o = Object.new
      def o.to_ary = [:SOCKET, :RIGHTS, [0].pack("i")]
      show { b.sendmsg("o", 0, nil, o) }
      c = Struct.new(:level, :type, :data).new(:SOCKET, :RIGHTS, [1].pack("i"))
      show { b.sendmsg("c", 0, nil, c) }
      x, y = UNIXSocket.pair
      x.close
      show { x.recvmsg }
      show { x.sendmsg("x") }
      show { x.recvmsg_nonblock }
      show { y.sendmsg("x") }
      show { y.sendmsg_nonblock("x") }
      s = Socket.new(:INET, :DGRAM)
      show { s.sendmsg("x") }
      show { s.sendmsg_nonblock("x", 0, nil, exception: false) }
      show { s.recvmsg_nonblock(exception: false) }
    RUBY
  end

  def test_send_io_recv_io
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      require "timeout"
      # Descriptors of /dev/null, not NUL/NUL2: a copy of the output pipe
      # left in flight would keep the harness waiting for EOF.
      NUL = File.open("/dev/null")
      NUL2 = File.open("/dev/null", "w")
      a, b = UNIXSocket.pair
      [3.5, "x", nil, 99_999, -1, 2**40, -2**40, 2**70].each { |v| show(v.inspect) { b.send_io(v) } }
      show { b.send_io }
      show { b.write("z"); Timeout.timeout(2) { a.recv_io } }
      show { a.send_io(NUL); b.recv_io(nil).class }
      show { a.send_io(NUL.fileno); b.recv_io.class }
      show { a.send_io(NUL2); io = b.recv_io(File); [io.class, io.fileno == NUL2.fileno] }
      show { a.send_io(NUL); b.recv_io(File, "r").class }
      show { b.recv_io(IO, "r", 3) }
      show { a.send_io(NUL); b.recv_io(Integer) }
      show { a.send_io(a); b.recv_io(UNIXSocket).class }
      show { r, w = IO.pipe; a.send_io(w); w.close; w2 = b.recv_io; w2.write("hi"); w2.close; r.read }
      show { r, w = IO.pipe; r.close; a.send_io(r) }
      show { b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, [0, 1].pack("ii")]); Timeout.timeout(2) { a.recv_io } }
      c, d = UNIXSocket.pair(:DGRAM)
      show { d.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, [0, 1].pack("ii")]); c.recv_io }
      show { d.send_io(NUL); c.recv_io.class }
      show { c.recv_io_nonexistent }
      a.close
      show { a.send_io(NUL) }
      show { a.recv_io }
      show { b.send_io(NUL) }
      dir = "/tmp/rsdiff_ancdata_#{$$}"
      Dir.mkdir(dir)
      srv = UNIXServer.new("#{dir}/s")
      cl = UNIXSocket.new("#{dir}/s")
      sv = srv.accept
      sv.close
      show { 3.times { cl.send_io(NUL) }; :sent }
      show { srv.send_io(NUL) }
      show { srv.recv_io }
      File.delete("#{dir}/s")
      Dir.rmdir(dir)
    RUBY
  end
end

# frozen_string_literal: true

require_relative "differential_helper"

# Socket::Option against the stock extension: constructors, readers, inspect
# over many family/level/optname/data combinations (wrong sizes too).
class OptionDifferentialTest < Minitest::Test
  def test_inspect_of_every_decoded_option_with_many_sizes
    code = +<<~'RUBY'
      DATAS = ["", "\x01", "\x01\x00", [1].pack("i"), [-7].pack("i"), [0].pack("i"), [111].pack("i"),
               [2].pack("i"), [99].pack("i"), [1, 5].pack("ii"), [0, 0].pack("ii"), [3, -2].pack("ii"),
               [1, 2, 3].pack("iii"), [1, 500_000].pack("q!q!"), [-1, 5].pack("q!q!"),
               [127, 0, 0, 1].pack("C4"), [224, 0, 0, 1, 127, 0, 0, 1].pack("C8"),
               [224, 0, 0, 1, 127, 0, 0, 1, 1].pack("C8i"), [224, 0, 0, 1, 0, 0, 0, 0, 4242].pack("C8i"),
               ([0xff02] + [0] * 6 + [1]).pack("n8") + [1].pack("i"),
               ([0xff02] + [0] * 6 + [1]).pack("n8") + [4242].pack("i"),
               "\xff\u00e9\n\"\#{".b, "abc\u00e9", "x" * 24]
      def row(*args)
        DATAS.each { |d| show(args.inspect + d.bytesize.to_s) { Socket::Option.new(*args, d).inspect } }
      end
      %i[INET INET6 UNIX UNSPEC].each do |fam|
        %i[DEBUG ACCEPTCONN BROADCAST REUSEADDR KEEPALIVE OOBINLINE SNDBUF RCVBUF DONTROUTE RCVLOWAT
           SNDLOWAT ERROR TYPE LINGER RCVTIMEO SNDTIMEO PEERCRED REUSEPORT PRIORITY TIMESTAMP].each do |opt|
          row(fam, :SOCKET, opt)
        end
      end
      %i[INET INET6].each do |fam|
        %i[MULTICAST_IF ADD_MEMBERSHIP DROP_MEMBERSHIP MULTICAST_LOOP MULTICAST_TTL TTL TOS].each { |o| row(fam, :IP, o) }
        %i[MULTICAST_HOPS MULTICAST_IF MULTICAST_LOOP JOIN_GROUP LEAVE_GROUP UNICAST_HOPS V6ONLY RECVPKTINFO].each { |o| row(fam, :IPV6, o) }
        %i[NODELAY MAXSEG CORK KEEPIDLE].each { |o| row(fam, :TCP, o) }
        row(fam, :UDP, :CORK)
        row(fam, 255, 1)
      end
      row(:UNIX, 0, 1)
      row(:UNIX, 0, 2)
      row(12345, 6, 1)
      row(:AX25, 6, 1)
    RUBY
    assert_same_as_stock(code)
  end

  def test_names_for_every_level_and_optname_value
    code = +<<~'RUBY'
      [0, 1, 6, 17, 41, 255, 132, 136, 2, 4, 999].each do |level|
        (0..80).each do |opt|
          print Socket::Option.new(:INET, level, opt, "").inspect, "\n"
        end
      end
      (0..50).each { |f| print Socket::Option.new(f, :SOCKET, 1, "").inspect, "\n" }
      (-1..12).each { |t| print Socket::Option.new(:INET, :SOCKET, :TYPE, [t].pack("i")).inspect, "\n" }
      [0, 1, 2, 4, 11, 13, 22, 32, 98, 104, 110, 111, 113, 133, 134, 200, 9999, -1].each do |e|
        print Socket::Option.new(:INET, :SOCKET, :ERROR, [e].pack("i")).inspect, "\n"
      end
    RUBY
    assert_same_as_stock(code)
  end

  def test_tcp_info
    # A stock build whose extconf found no struct tcp_info shows the raw
    # bytes (Debian's arm64 3.4.11, seen under bin/cross); socket_rs always
    # decodes them (README, "What differs from stock").
    decodes, = Differential.run(:stock, 'print Socket::Option.new(:INET, :TCP, :INFO, "\0" * 104).inspect.include?("state=")')
    skip "this Ruby's stock extension was built without struct tcp_info, so stock shows TCP_INFO raw (Debian's arm64 3.4.11)" unless decodes == "true"
    assert_same_as_stock(<<~'RUBY')
      [0, 100, 103, 104, 105, 232, 256].each do |n|
        show(n) { Socket::Option.new(:INET, :TCP, :INFO, "\0" * n).inspect }
      end
      (0..13).each do |st|
        [0, 1, 2, 3, 4, 5].each do |ca|
          d = [st, ca, 1, 2, 3, st * 5].pack("C6") + "\0\0" + (0...24).map { |i| i * 999_937 + st }.pack("L*")
          show { Socket::Option.new(:INET6, :TCP, :INFO, d).inspect }
        end
      end
      (0..255).step(7) { |o| show { Socket::Option.new(:INET, :TCP, :INFO, [1, 0, 0, 0, 0, o].pack("C6") + "\0" * 98).inspect[/options=\S+/] } }
      s = Socket.new(:INET, :STREAM)
      show { s.getsockopt(:TCP, :INFO).inspect.sub(/last_\w+=\S+ /, "").split.first(8) }
    RUBY
  end

  def test_constructors_and_readers
    assert_same_as_stock(<<~'RUBY')
      O = Socket::Option
      INTS = ["0", "1", "-1", "255", "256", "300", "2**31 - 1", "2**31", "-2**31", "2**40", "2**64", "1.7",
              "nil", "'1'", "true", "false", ":a", "Object.new"]
      INTS.each do |v|
        show("int #{v}") { o = O.int(:INET, :SOCKET, :KEEPALIVE, eval(v)); [o.inspect, o.int, o.data] }
        show("byte #{v}") { o = O.byte(:INET, :SOCKET, :KEEPALIVE, eval(v)); [o.inspect, o.byte, o.data] }
        show("bool #{v}") { o = O.bool(:INET, :SOCKET, :KEEPALIVE, eval(v)); [o.inspect, o.bool, o.data] }
        show("linger on #{v}") { o = O.linger(eval(v), 5); [o.inspect, o.linger] }
        show("linger secs #{v}") { o = O.linger(true, eval(v)); [o.inspect, o.linger] }
        show("loop #{v}") { o = O.ipv4_multicast_loop(eval(v)); [o.inspect, o.ipv4_multicast_loop, o.data] }
        show("ttl #{v}") { o = O.ipv4_multicast_ttl(eval(v)); [o.inspect, o.ipv4_multicast_ttl, o.data] }
      end
      ["", "\x00", "\x01", "\x02\x00", "\x00\x00\x00\x00", "\x00\x00\x00\x01", "\x01\x00\x00\x00\x00",
       "\x01\x00\x00\x00\x02\x00\x00\x00", "\x07\x00\x00\x00\x00\x00\x00\x00", "x" * 9].each do |d|
        [[:INET, :SOCKET, :KEEPALIVE], [:INET, :SOCKET, :LINGER], [:UNSPEC, :SOCKET, :LINGER],
         [:INET, :IP, :MULTICAST_LOOP], [:INET, :IP, :MULTICAST_TTL], [:INET6, :IP, :MULTICAST_TTL],
         [:INET, :IPV6, :MULTICAST_LOOP], [:UNIX, :SOCKET, :LINGER]].each do |args|
          o = O.new(*args, d)
          %i[int byte bool linger ipv4_multicast_loop ipv4_multicast_ttl].each do |m|
            show("#{args} #{d.inspect} #{m}") { o.public_send(m) }
          end
        end
      end
      s = +"data"
      o = O.new(:INET, :SOCKET, :KEEPALIVE, s)
      show { [o.family, o.level, o.optname, o.data, o.to_s, o.unpack("C*"), o.instance_variables] }
      show { [o.data.equal?(s), o.data.equal?(o.data), o.to_s.equal?(o.data)] }
      show { s << "!"; o.data }
      show { o.unpack(5) }
      show { o.unpack }
      show { Marshal.load(Marshal.dump(o)).inspect }
      show { o.dup.inspect }
      show { o.clone(freeze: true).inspect }
      show { O.new(:INET, :SOCKET, :KEEPALIVE, "\u00e9").data.encoding }
      show { O.int(:INET, :SOCKET, :KEEPALIVE, 1).data.encoding }
      class ToStr; def to_str = "abcd"; end
      show { O.new(:INET, :SOCKET, :KEEPALIVE, ToStr.new).inspect }
      show { O.new("INET", "SOL_SOCKET", "SO_KEEPALIVE", "").inspect }
      show { O.new(Socket::AF_INET, Socket::SOL_SOCKET, Socket::SO_KEEPALIVE, "").inspect }
      show { O.new(:INET, :SOCKET, :KEEPALIVE, 5) }
      show { O.new(:INET, :SOCKET, :KEEPALIVE, nil) }
      show { O.new(:INET, :SOCKET, :NOPE, "") }
      show { O.new(:INET, :NOPE, :KEEPALIVE, "") }
      show { O.new(:NOPE, :SOCKET, :KEEPALIVE, "") }
      show { O.new(:UNIX, :TCP, :NODELAY, "") }
      show { O.new(:UNIX, 6, :NODELAY, "") }
      show { O.new(:UNSPEC, :IP, :TTL, "") }
      show { O.new(:INET, :TCP, :REUSEADDR, "") }
      show { O.new(:INET, :IP, :NODELAY, "") }
      show { O.new(:INET, 2**31, 1, "") }
      show { O.new(:INET, :SOCKET, 2**31, "") }
      show { O.new(2**31, :SOCKET, 1, "") }
      show { O.new(:INET, :SOCKET, :KEEPALIVE) }
      show { O.int(:INET, :SOCKET, :KEEPALIVE) }
      show { O.linger(1) }
      a = O.allocate
      %i[family level optname data to_s inspect int bool byte linger unpack].each do |m|
        show("allocate #{m}") { m == :unpack ? a.unpack("C") : a.public_send(m) }
      end
      show { O.new(:INET, :SOCKET, :KEEPALIVE, "").frozen? }
      show { O.new(:INET, :SOCKET, :KEEPALIVE, "").freeze.send(:initialize, :INET, :SOCKET, :KEEPALIVE, "") }
      class SubOpt < Socket::Option; end
      show { SubOpt.new(:INET, :SOCKET, :KEEPALIVE, [1].pack("i")).inspect }
      show { SubOpt.int(:INET, :SOCKET, :KEEPALIVE, 1).class }
    RUBY
  end

  def test_getsockopt_returns_options_stock_inspects_the_same_way
    assert_same_as_stock(<<~'RUBY', normalize: ->(s) { s.gsub(/pid=\d+/, "pid=N") })
      a, b = Socket.pair(:UNIX, :STREAM)
      %i[TYPE ERROR KEEPALIVE LINGER RCVTIMEO SNDTIMEO PEERCRED ACCEPTCONN REUSEADDR DEBUG].each do |o|
        show(o) { x = a.getsockopt(:SOCKET, o); [x.inspect, x.family, x.level, x.optname, x.data.bytesize] }
      end
      t = Socket.new(:INET6, :STREAM)
      [[:IPV6, :V6ONLY], [:IPV6, :UNICAST_HOPS], [:IPV6, :MULTICAST_HOPS], [:IPV6, :MULTICAST_LOOP],
       [:TCP, :NODELAY], [:TCP, :MAXSEG]].each { |l, o| show([l, o]) { t.getsockopt(l, o).inspect } }
      u = Socket.new(:INET, :DGRAM)
      [[:IP, :MULTICAST_TTL], [:IP, :MULTICAST_LOOP], [:IP, :TTL], [:IP, :MULTICAST_IF]].each do |l, o|
        show([l, o]) { u.getsockopt(l, o).inspect }
      end
      show { u.getsockopt(:IP, :MULTICAST_TTL).ipv4_multicast_ttl }
      show { u.getsockopt(:IP, :MULTICAST_LOOP).ipv4_multicast_loop }
    RUBY
  end
end

# frozen_string_literal: true

require_relative "differential_helper"

# Socket's resolution and sockaddr class methods, IPSocket.getaddress and
# TCPSocket.gethostbyname against the stock extension. Names are limited to
# what resolves offline (numeric, /etc/hosts with IPv4, nil, ""); reverse
# lookups only for 127.0.0.1, which /etc/hosts names.
class ResolutionDifferentialTest < Minitest::Test
  NORMALIZE = ->(s) { s.gsub("Socket::ResolutionError", "SocketError") }

  def run_table(lines)
    lines.each_slice(300) do |chunk|
      code = chunk.join("\n") + "\n"
      stock, ours = %i[stock socket_rs].map { |impl| Differential.run(impl, code) }
      assert_equal 0, stock[2], "stock failed: #{stock[1]}"
      assert_equal 0, ours[2], "socket_rs failed: #{ours[1]}"
      s_lines, r_lines = [stock, ours].map { |o, _, _| NORMALIZE.call(o.b).lines }
      diffs = s_lines.zip(r_lines).reject { |a, b| a == b }
      assert_equal s_lines.size, r_lines.size, "line counts differ"
      assert diffs.empty?, "#{diffs.size} lines differ:\n" + diffs.first(15).map { |a, b| "-#{a}+#{b}" }.join
    end
  end

  HOSTS = ['"127.0.0.1"', '"::1"', '"localhost"', "nil", '""', '"0.0.0.0"', '"<broadcast>"', '"<any>"',
           "0x7f000001", '"::ffff:127.0.0.1"', '"vm"', '"a\0b"', '"x" * 1025', "1.5", '"fe80::1%lo"'].freeze
  PORTS = ["80", '"80"', '"http"', "nil", "0", '""', "65535", '"65536"', '"nope"', "-1", "2**40", '"x" * 32',
           ":http"].freeze

  def test_sockaddr_in_table
    lines = []
    HOSTS.each do |h|
      PORTS.each do |p|
        lines << "show(%q{#{p} #{h}}) { s = Socket.sockaddr_in(#{p}, #{h}); [s, s.encoding, Socket.unpack_sockaddr_in(s)] }"
      end
    end
    lines << 'show("alias") { Socket.pack_sockaddr_in(80, "127.0.0.1") == Socket.sockaddr_in(80, "127.0.0.1") }'
    lines << 'show("unpack enc") { Socket.unpack_sockaddr_in(Socket.sockaddr_in(1, "::1")).map { |x| x.is_a?(String) ? x.encoding : x } }'
    lines << 'show("unpack ai") { Socket.unpack_sockaddr_in(Addrinfo.tcp("127.0.0.1", 9)) }'
    lines << 'show("unpack unix ai") { Socket.unpack_sockaddr_in(Addrinfo.unix("/x")) }'
    lines << 'show("unpack nil") { Socket.unpack_sockaddr_in(nil) }'
    lines << 'show("unpack int") { Socket.unpack_sockaddr_in(5) }'
    lines << 'show("arity") { Socket.sockaddr_in(80) }'
    run_table(lines)
  end

  def test_sockaddr_un_table
    lines = []
    ['"/tmp/s"', '""', '"\0abs"', '"rel"', '"a" * 108', '"a" * 109', "nil", ":sym", '"/\xff".b', '"a\0b"'].each do |p|
      lines << "show(%q{#{p}}) { s = Socket.sockaddr_un(#{p}); [s, s.size, s.encoding, Socket.unpack_sockaddr_un(s)] }"
      lines << "show(%q{pack #{p}}) { Socket.pack_sockaddr_un(#{p}) }"
    end
    ['"\x01\x00"', '"\x01"', '""', '"\x02\x00abc"', '"\x01\x00abc\0\0"', '"\x01\x00" + "a" * 108',
     '"\x01\x00" + "a" * 109', '"\x01\x00\0\0abc"', "Addrinfo.unix('/q')", "Addrinfo.tcp('127.0.0.1', 1)", "nil"].each do |s|
      lines << "show(%q{unpack #{s}}) { Socket.unpack_sockaddr_un(#{s}) }"
    end
    run_table(lines)
  end

  def test_getaddrinfo_table
    lines = []
    HOSTS.each do |h|
      PORTS.each do |p|
        lines << "show(%q{#{h} #{p}}) { Socket.getaddrinfo(#{h}, #{p}) }"
      end
      [":INET", "nil", ":UNIX", ":FOO"].each do |f|
        [":STREAM", "nil", ":DGRAM"].each do |st|
          next if f == "nil" && h =~ /localhost|vm/ && st == "nil"

          lines << "show(%q{#{h} #{f} #{st}}) { Socket.getaddrinfo(#{h}, 22, #{f}, #{st}) }" unless h =~ /localhost|vm/ && f == ":INET6"
        end
      end
    end
    ['"127.0.0.1"', "nil"].each do |h|
      ["nil", "0", "6", "17", '"6"'].each do |pr|
        ["nil", "0", "Socket::AI_PASSIVE", "Socket::AI_CANONNAME", "Socket::AI_NUMERICHOST", '"x"'].each do |fl|
          lines << "show(%q{#{h} #{pr} #{fl}}) { Socket.getaddrinfo(#{h}, 80, nil, nil, #{pr}, #{fl}) }"
        end
      end
    end
    # reverse_lookup only where /etc/hosts answers (127.0.0.1).
    ["true", "false", ":hostname", ":numeric", "nil", ":foo", '"hostname"', "1"].each do |rev|
      lines << "show(%q{rev #{rev}}) { Socket.getaddrinfo(\"127.0.0.1\", 80, :INET, :STREAM, nil, nil, #{rev}) }"
    end
    lines << 'show("rev default") { BasicSocket.do_not_reverse_lookup = false; Socket.getaddrinfo("127.0.0.1", 80, :INET, :STREAM) }'
    lines << 'show("canon") { Socket.getaddrinfo("localhost", 80, :INET, :STREAM, nil, Socket::AI_CANONNAME) }'
    lines << 'show("same obj") { a = Socket.getaddrinfo("127.0.0.1", 80)[0]; [a[2].equal?(a[3]), a[0].encoding, a[2].encoding, a[0].frozen?] }'
    lines << 'show("arity") { Socket.getaddrinfo("127.0.0.1") }'
    lines << 'show("arity8") { Socket.getaddrinfo(1, 2, 3, 4, 5, 6, 7, 8) }'
    lines << 'show("bad") { Socket.getaddrinfo("nonexistent.invalid", 80, nil, nil, nil, Socket::AI_NUMERICHOST) }'
    run_table(lines)
  end

  def test_getnameinfo_table
    lines = []
    sas = ['Socket.sockaddr_in(80, "127.0.0.1")', 'Socket.sockaddr_in(22, "127.0.0.1")', 'Addrinfo.tcp("127.0.0.1", 25)',
           'Socket.sockaddr_in(80, "::1")', 'Socket.sockaddr_un("/tmp/x")', '"\x02\x00"', '"x" * 2049', '"x" * 2048',
           '["AF_INET", 80, "127.0.0.1"]', '["AF_INET", 80, "localhost", "127.0.0.1"]', '["AF_INET", 80, "ignored", "127.0.0.1"]',
           '["AF_INET", 80, "127.0.0.1", nil]', '["AF_INET", 80]', '["AF_INET", 80, "a", "b", "c"]', '[nil, 80, "127.0.0.1"]',
           '["AF_INET", "http", "127.0.0.1"]', '[:INET, 80, "127.0.0.1"]', '["AF_FOO", 80, "127.0.0.1"]', '["AF_INET", 80, nil]',
           '["AF_INET6", 80, "::1"]', '["AF_INET", 80, "::1"]', "5", "nil", '["AF_INET", 80, "127.0.0.1", "127.0.0.2"]',
           '["AF_UNSPEC", 80, "localhost"]']
    sas.each do |sa|
      ["", ", Socket::NI_NUMERICHOST | Socket::NI_NUMERICSERV", ", Socket::NI_NUMERICSERV", ", Socket::NI_DGRAM | Socket::NI_NUMERICHOST",
       ", Socket::NI_NAMEREQD", ", nil", ', "1"'].each do |fl|
        # No reverse DNS for ::1 or 127.0.0.2: /etc/hosts has no entry for them.
        next if (sa.include?("::1") || sa.include?("127.0.0.2")) && !fl.include?("NUMERICHOST")

        lines << "show(%q{#{sa}#{fl}}) { Socket.getnameinfo(#{sa}#{fl}) }"
      end
    end
    run_table(lines)
  end

  def test_services_hosts_and_misc
    lines = []
    ['"http"', '"ssh"', '"domain"', '"0x50"', '"010"', '"80"', '"nope"', '" 80"', '"-1"', '""', "nil", ":http", '"a\0"', '"ht\xfftp"'].each do |s|
      ["", ', "tcp"', ', "udp"', ', "nope"', ", nil", ", :udp", ', "\xff"'].each do |pr|
        lines << "show(%q{byname #{s}#{pr}}) { Socket.getservbyname(#{s}#{pr}) }"
      end
    end
    ["80", "22", "53", "514", "0", "65535", "65536", "-1", "2**40", '"80"', "nil", "9999", "1.9"].each do |p|
      ["", ', "tcp"', ', "udp"', ', "nope"', ", nil", ', "a\0"'].each do |pr|
        lines << "show(%q{byport #{p}#{pr}}) { Socket.getservbyport(#{p}#{pr}) }"
      end
    end
    ['"localhost"', '"127.0.0.1"', '"vm"', "nil", '""', "0x7f000001", '"a\0"', "5.5"].each do |h|
      lines << "show(%q{ghbn #{h}}) { Socket.gethostbyname(#{h}) }"
      lines << "show(%q{tcp ghbn #{h}}) { TCPSocket.gethostbyname(#{h}) }"
      lines << "show(%q{getaddress #{h}}) { IPSocket.getaddress(#{h}) }"
    end
    lines << 'show("ghba") { Socket.gethostbyaddr("\x7f\x00\x00\x01") }'
    lines << 'show("ghba fam") { Socket.gethostbyaddr("\x7f\x00\x00\x01", :INET) }'
    lines << 'show("ghba bad fam") { Socket.gethostbyaddr("\x7f\x00\x00\x01", :FOO) }'
    lines << 'show("ghba nil") { Socket.gethostbyaddr(nil) }'
    lines << 'show("hostname") { Socket.gethostname == `hostname`.chomp }'
    lines << 'show("hostname enc") { Socket.gethostname.encoding }'
    lines << 'show("ifaddrs") { Socket.getifaddrs.map(&:inspect) }'
    lines << 'show("ifaddrs fields") { Socket.getifaddrs.map { |i| [i.name, i.ifindex, i.flags, i.addr, i.netmask, i.broadaddr, i.dstaddr] } }'
    lines << 'show("ifaddrs alloc") { Socket::Ifaddr.allocate }'
    lines << 'show("ifaddrs new") { Socket::Ifaddr.new }'
    lines << 'show("ip list") { Socket.ip_address_list.map { |a| [a, a.pfamily, a.socktype] } }'
    run_table(lines)
  end

  def test_deprecation_warnings
    code = <<~'RUBY'
      $stderr = $stdout
      Socket.gethostbyname("127.0.0.1")
      TCPSocket.gethostbyname("127.0.0.1")
      Socket.gethostbyaddr("\x7f\x00\x00\x01")
      $VERBOSE = nil
      Socket.gethostbyname("127.0.0.1")
    RUBY
    assert_same_as_stock(code)
  end

  # Encodings, frozenness, arities and the inspectname kept by Marshal.
  def test_encodings_and_shapes
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      ai = Addrinfo.tcp("127.0.0.1", 80); u = Addrinfo.unix("/tmp/x")
      l = Addrinfo.getaddrinfo("localhost", 80, :INET, :STREAM, nil, Socket::AI_CANONNAME)[0]
      show { [ai.inspect, ai.inspect_sockaddr, ai.ip_address, ai.ip_unpack[0], ai.getnameinfo, ai.to_sockaddr, u.unix_path, u.inspect].flatten.map(&:encoding) }
      show { [l.canonname.encoding, l.marshal_dump.map { _1.is_a?(String) ? _1.encoding : _1 }] }
      show { Socket.getaddrinfo("localhost", 80, :INET, :STREAM, nil, Socket::AI_CANONNAME)[0].map { _1.is_a?(String) ? [_1.encoding, _1.frozen?] : _1 } }
      show { [Socket.gethostname, Socket.getservbyport(80), Socket.unpack_sockaddr_un(u.to_sockaddr), Socket.sockaddr_un("/x"), Socket.sockaddr_in(1, "1.2.3.4"), Socket.getnameinfo(ai.to_sockaddr)].flatten.map(&:encoding) }
      show { Socket.getifaddrs.map { [_1.name.encoding, _1.inspect.encoding] }.uniq }
      show { Socket.gethostbyname("localhost").flatten.select { _1.is_a?(String) }.map(&:encoding) }
      show { TCPSocket.gethostbyname("localhost").flatten.select { _1.is_a?(String) }.map(&:encoding) }
      show { IPSocket.getaddress("localhost").encoding }
      show { x = "loc".encode("UTF-16LE") rescue nil; Addrinfo.tcp("127.0.0.1".encode("UTF-8"), 80).marshal_dump }
      show { a = Addrinfo.tcp("localhost".encode("US-ASCII"), "http"); [a.marshal_dump.last.encoding, a.marshal_dump.last.frozen?] }
      show { a = Addrinfo.tcp("localhost", 80); [a.marshal_dump.last.encoding, a.marshal_dump.last.frozen?] }
      show { a = Addrinfo.tcp("127.0.0.1", "http"); [a.marshal_dump.last, a.marshal_dump.last.encoding] }
      show { a = Addrinfo.tcp("127.0.0.1", 81.to_s); [a.marshal_dump.last] }
      show { a = Addrinfo.getaddrinfo("127.0.0.1", 65616)[0]; [a, a.marshal_dump.last&.encoding] }
      show { a = Addrinfo.getaddrinfo(nil, 65616)[0]; [a, a.marshal_dump.last&.encoding] }
      show { Addrinfo.tcp("127.0.0.1", 80).frozen? }
      show { Addrinfo.tcp("127.0.0.1", 80).dup.inspect }
      show { Addrinfo.tcp("127.0.0.1", 80).clone.inspect }
      show { Marshal.load(Marshal.dump(Addrinfo.tcp("127.0.0.1", 80))).frozen? }
      show { Addrinfo.tcp("127.0.0.1", 80).hash.class }
      show { Addrinfo.tcp("127.0.0.1", 80) == Addrinfo.tcp("127.0.0.1", 80) }
    RUBY
  end

  # Ruby 3.1's fiber-scheduler hook: a non-blocking fiber's scheduler
  # resolves names through #address_resolve; its answers are taken
  # numerically, numeric hosts and AI_NUMERICHOST bypass it.
  def test_fiber_scheduler_address_resolve
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      class S
        def initialize(answer) = @answer = answer
        def address_resolve(h) = (($calls ||= []) << h; @answer)
        def block(*) = nil
        def unblock(*) = nil
        def kernel_sleep(*) = nil
        def io_wait(*) = nil
        def fiber(&b) = Fiber.new(blocking: false, &b).resume
        def close = nil
      end
      [["127.0.0.5", "::1"], [], nil, ["bogus", "127.0.0.6"], ["x"], [5]].each do |ans|
        Fiber.set_scheduler(S.new(ans))
        Fiber.schedule do
          show("#{ans.inspect} gai") { Addrinfo.getaddrinfo("some.name", 80) }
          show("#{ans.inspect} gai http") { Addrinfo.getaddrinfo("some.name", "http") }
          show("#{ans.inspect} tcp") { Addrinfo.tcp("some.name", 80) }
          show("#{ans.inspect} numeric") { Addrinfo.tcp("127.0.0.1", 80) }
          show("#{ans.inspect} localhost") { Addrinfo.tcp("localhost", 80) }
          show("#{ans.inspect} numhost flag") { Addrinfo.getaddrinfo("localhost", 80, nil, nil, nil, Socket::AI_NUMERICHOST) }
          show("#{ans.inspect} sockaddr_in") { Socket.sockaddr_in(80, "some.name") }
          show("#{ans.inspect} Socket.gai") { Socket.getaddrinfo("some.name", 80, :INET) }
          show("#{ans.inspect} nil host") { Addrinfo.getaddrinfo(nil, 80, :INET) }
          show("#{ans.inspect} int host") { Addrinfo.getaddrinfo(0x7f000001, 80, :INET) }
        end
        Fiber.set_scheduler(nil)
      end
      p $calls
    RUBY
  end
end

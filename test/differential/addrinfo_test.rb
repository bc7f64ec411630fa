# frozen_string_literal: true

require_relative "differential_helper"

# Addrinfo against the stock extension: constructors over tables of hosts,
# ports, families, socktypes, protocols and flags, and every reader over
# packed sockaddrs of every family and length (truncated, oversized,
# garbage). Only names that resolve offline are used: numeric addresses,
# /etc/hosts names (localhost, vm) with family nil or :INET, nil and "".
# Malformed names are only tried with AI_NUMERICHOST, which fails without
# asking DNS.
class AddrinfoDifferentialTest < Minitest::Test
  # Ruby 3.4 raises Socket::ResolutionError (a SocketError) where 3.1 raises
  # SocketError with the same message.
  NORMALIZE = ->(s) { s.gsub("Socket::ResolutionError", "SocketError") }

  NUMERIC_HOSTS = ['"127.0.0.1"', '"::1"', '"0.0.0.0"', '"::"', '"::ffff:127.0.0.1"', '"::127.0.0.2"',
                   '"fe80::1%1"', '"fe80::1%lo"', '"ff02::1%1"', '"10.1.2.3"', '"192.168.0.1"',
                   '"172.16.5.4"', '"224.0.0.1"', '"fc00::1"', '"fec0::1"', '"ff05::2"', '"1.2.3"',
                   '"0x7f.1"', '"127.1"', '"2001:db8::1"', "0x7f000001", "0", "-1"].freeze
  NAMED_HOSTS = ['"localhost"', '"vm"', "nil", '""', '"*"', '"<any>"', '"<broadcast>"'].freeze
  # Never resolvable numerically; with AI_NUMERICHOST getaddrinfo(3) fails
  # without a DNS query.
  BOGUS_HOSTS = ['"256.1.1.1"', '"01.2.3.4"', '"::1::"', '"1::2::3"', '"localhost\n"', '"127.0.0.1 "',
                 '"fe80::1%nosuchif"', '"a" * 1024', '"x"'].freeze
  BAD_HOST_TYPES = ['"a\0b"', '"a" * 1025', "2**32", "2**70", "1.5", ":localhost", "Object.new", "[]",
                    "-(2**31) - 1"].freeze
  PORTS = ["80", '"80"', '"http"', "nil", "0", '""', '"0080"', "65535", "65536", '"65536"', "-1", '"-1"',
           "2**40", '"nope"', '"a\0"', '"x" * 32', '"x" * 31', "1.5", ":http", '"ssh"', '" 80"',
           '"+80"', "2**64"].freeze

  # Runs the table in chunks (a whole table overflows the command line).
  def run_table(lines)
    lines.each_slice(300) { |chunk| compare_lines(chunk.join("\n") + "\n") }
  end

  # As assert_same_as_stock, reporting only the differing lines: the
  # outputs here run to thousands of lines.
  def compare_lines(code)
    stock, ours = %i[stock socket_rs].map { |impl| Differential.run(impl, code) }
    assert_equal 0, stock[2], "stock failed: #{stock[1]}"
    assert_equal 0, ours[2], "socket_rs failed: #{ours[1]}"
    s_lines, r_lines = [stock, ours].map { |o, _, _| NORMALIZE.call(o.b.gsub(/0x\h{8,16}/n, "0xXXXX")).lines }
    diffs = s_lines.zip(r_lines).reject { |a, b| a == b }
    assert_equal s_lines.size, r_lines.size, "line counts differ"
    assert diffs.empty?, "#{diffs.size} lines differ:\n" + diffs.first(15).map { |a, b| "-#{a}+#{b}" }.join
  end

  def test_tcp_udp_ip_numeric_hosts_and_ports
    lines = []
    NUMERIC_HOSTS.each do |h|
      PORTS.each do |p|
        lines << "show(%q{tcp #{h} #{p}}) { Addrinfo.tcp(#{h}, #{p}) }"
      end
      lines << "show(%q{udp #{h}}) { Addrinfo.udp(#{h}, 53) }"
      lines << "show(%q{ip #{h}}) { a = Addrinfo.ip(#{h}); [a, a.socktype, a.protocol, a.pfamily] }"
    end
    run_table(lines)
  end

  def test_named_hosts
    lines = []
    NAMED_HOSTS.each do |h|
      ["80", '"http"', "nil", '"0"', "0"].each do |p|
        lines << "show(%q{tcp #{h} #{p}}) { Addrinfo.tcp(#{h}, #{p}) }"
        lines << "show(%q{gai #{h} #{p}}) { Addrinfo.getaddrinfo(#{h}, #{p}, nil, nil) }"
        lines << "show(%q{gai4 #{h} #{p}}) { Addrinfo.getaddrinfo(#{h}, #{p}, :INET, :STREAM) }"
        lines << "show(%q{canon #{h} #{p}}) { Addrinfo.getaddrinfo(#{h}, #{p}, :INET, nil, nil, Socket::AI_CANONNAME).map { |a| [a, a.canonname, a.canonname&.frozen?] } }"
        lines << "show(%q{passive #{h} #{p}}) { Addrinfo.getaddrinfo(#{h}, #{p}, nil, :DGRAM, nil, Socket::AI_PASSIVE) }"
      end
      lines << "show(%q{ip #{h}}) { Addrinfo.ip(#{h}) }"
      lines << "show(%q{udp #{h}}) { Addrinfo.udp(#{h}, 7) }"
    end
    lines << 'show("nonexistent") { Addrinfo.getaddrinfo("nonexistent.invalid", 80, nil, nil, nil, Socket::AI_NUMERICHOST) }'
    lines << 'show("nonexistent code") { begin; Addrinfo.tcp("localhost", "nosuchservice"); rescue SocketError => e; [e.class.ancestors.include?(SocketError), e.message]; end }'
    run_table(lines)
  end

  def test_bogus_and_badly_typed_hosts
    lines = []
    (BOGUS_HOSTS + NUMERIC_HOSTS).each do |h|
      ["nil", "0", "Socket::AI_NUMERICHOST"].each do |fl|
        next if fl != "Socket::AI_NUMERICHOST" && BOGUS_HOSTS.include?(h)

        lines << "show(%q{#{h} #{fl}}) { Addrinfo.getaddrinfo(#{h}, 80, nil, nil, nil, #{fl}) }"
      end
    end
    BAD_HOST_TYPES.each do |h|
      lines << "show(%q{tcp #{h}}) { Addrinfo.tcp(#{h}, 80) }"
      lines << "show(%q{sockaddr_in #{h}}) { Socket.sockaddr_in(80, #{h}) }"
    end
    run_table(lines)
  end

  FAMILIES = ["nil", ":INET", ":INET6", ":UNIX", '"AF_INET"', '"PF_INET6"', "99", ":FOO", "0", "2**40"].freeze
  SOCKTYPES = ["nil", ":STREAM", ":DGRAM", ":RAW", ":SEQPACKET", "99", ":BAR", "0"].freeze
  PROTOCOLS = ["nil", "0", "6", "17", "99", '"6"', "Socket::IPPROTO_ICMP"].freeze
  FLAGS = ["nil", "0", "Socket::AI_PASSIVE", "Socket::AI_CANONNAME", "Socket::AI_NUMERICSERV",
           "Socket::AI_V4MAPPED | Socket::AI_ALL", "Socket::AI_ADDRCONFIG", "0xffff", '"1"'].freeze

  def test_getaddrinfo_hint_table
    lines = []
    ['"127.0.0.1"', '"::1"', "nil"].each do |h|
      FAMILIES.each do |f|
        SOCKTYPES.each do |st|
          lines << "show(%q{#{h} #{f} #{st}}) { Addrinfo.getaddrinfo(#{h}, 80, #{f}, #{st}) }"
        end
      end
      PROTOCOLS.each do |pr|
        FLAGS.each do |fl|
          lines << "show(%q{#{h} #{pr} #{fl}}) { Addrinfo.getaddrinfo(#{h}, \"80\", nil, nil, #{pr}, #{fl}) }"
        end
      end
    end
    lines << 'show("timeout kw") { Addrinfo.getaddrinfo("127.0.0.1", 80, nil, :STREAM, timeout: 1) }' if RUBY_VERSION >= "3.3"
    lines << 'show("arity") { Addrinfo.getaddrinfo("127.0.0.1") }'
    lines << 'show("arity7") { Addrinfo.getaddrinfo(1, 2, 3, 4, 5, 6, 7) }'
    run_table(lines)
  end

  # Packed sockaddrs of every family and many lengths, from fixed seeds so
  # both processes build the same bytes.
  SOCKADDR_GEN = <<~'RUBY'
    FAMS = [0, 1, 2, 10, 17, 5, 16, 99, 0xffff, 3, 4, 38]
    LENS = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 18, 19, 20, 21, 24, 27, 28, 29, 40, 109, 110, 111, 128, 200, 2048, 2049]
    def sockaddrs
      rng = Random.new(42)
      out = []
      FAMS.each do |f|
        LENS.each do |len|
          bytes = Array.new(len) { rng.rand(256) }
          bytes[0] = f & 0xff if len > 0
          bytes[1] = f >> 8 if len > 1
          out << bytes.pack("C*")
          # A tamer variant: zeros after the family, a port, a printable path.
          tame = ([f & 0xff, f >> 8] + [0, 80] + Array.new([len - 4, 0].max) { |i| f == 1 ? 97 + i % 26 : 0 })[0, len].pack("C*")
          out << tame
        end
      end
      out << [2, 0, 0, 80, 127, 0, 0, 1].pack("C*") + "\0" * 8
      out << Socket.sockaddr_in(0, "::ffff:10.1.2.3") << Socket.sockaddr_in(9, "::10.1.2.3")
      out << Socket.sockaddr_in(9, "fe80::1%1") << Socket.sockaddr_in(9, "ff02::1%1")
      out << Socket.sockaddr_un("/tmp/sock") << Socket.sockaddr_un("\0abstract") << Socket.sockaddr_un("")
      out << Socket.sockaddr_un("rel path") << Socket.sockaddr_un("/tmp/\xff\xfe".b)
      out
    end
  RUBY

  READERS = %w[inspect inspect_sockaddr afamily pfamily socktype protocol canonname ip? ipv4? ipv6? unix?
               ip_address ip_port ip_unpack unix_path ipv4_loopback? ipv4_multicast? ipv4_private?
               ipv6_loopback? ipv6_linklocal? ipv6_multicast? ipv6_sitelocal? ipv6_unspecified?
               ipv6_unique_local? ipv6_v4compat? ipv6_v4mapped? ipv6_mc_nodelocal? ipv6_mc_linklocal?
               ipv6_mc_sitelocal? ipv6_mc_orglocal? ipv6_mc_global? ipv6_to_ipv4 marshal_dump].freeze

  def test_readers_over_sockaddr_corpus
    code = SOCKADDR_GEN + <<~RUBY
      sockaddrs.each_with_index do |sa, i|
        show("new \#{i}") { Addrinfo.new(sa) }
        a = Addrinfo.new(sa) rescue next
        #{READERS.inspect}.each { |m| show("\#{i} \#{m}") { a.public_send(m) } }
        show("\#{i} to_sockaddr") { a.to_sockaddr == sa && a.to_s == sa }
        # glibc reads an AF_UNIX path past the sockaddr's length, into what
        # stock's stack holds (3.4 leaves a "localhost" there): undefined.
        show("\#{i} gni") { a.getnameinfo(Socket::NI_NUMERICHOST | Socket::NI_NUMERICSERV) } unless a.unix?
        show("\#{i} marshal") { Marshal.load(Marshal.dump(a)).inspect }
        show("\#{i} unpack_in") { Socket.unpack_sockaddr_in(sa) }
        show("\#{i} unpack_un") { Socket.unpack_sockaddr_un(sa) }
        # Stock copies the sockaddr into an uninitialized buffer here, and
        # glibc reads an AF_UNIX path past the length: only IP is defined.
        show("\#{i} sgni") { Socket.getnameinfo(sa, Socket::NI_NUMERICHOST | Socket::NI_NUMERICSERV) } if a.ip?
      end
    RUBY
    compare_lines(code)
  end

  def test_new_with_families_socktypes_protocols
    lines = []
    sas = ['Socket.sockaddr_in(80, "127.0.0.1")', 'Socket.sockaddr_in(80, "::1")', 'Socket.sockaddr_un("/x")',
           '"\x02\x00\x00\x50\x7f"']
    sas.each do |sa|
      FAMILIES.each do |f|
        [":STREAM", ":DGRAM", ":RAW", "nil", "99", ":BAR"].each do |st|
          ["nil", "6", "17", "99"].each do |pr|
            lines << "show(%q{#{sa} #{f} #{st} #{pr}}) { a = Addrinfo.new(#{sa}, #{f}, #{st}, #{pr}); [a, a.pfamily, a.socktype, a.protocol, (a.marshal_dump rescue $!.message)] }"
          end
        end
      end
    end
    run_table(lines)
  end

  def test_new_array_forms
    lines = []
    forms = ['["AF_INET", 80, "localhost", "127.0.0.1"]', '["AF_INET", 80, nil, "127.0.0.1"]',
             '["AF_INET", 80, "127.0.0.1", "127.0.0.1"]', '["AF_INET6", 80, "foo", "fe80::1%1"]',
             '["AF_INET6", 80, "foo", "::1"]', '["INET", "80", "x", "127.0.0.1"]', '["AF_INET", 80, "x", "::1"]',
             '["AF_INET", 80, "x", "localhost"]', '["AF_UNIX", "/tmp/s"]', '["AF_UNIX", "/tmp/s", "x"]',
             '["AF_UNIX", "a" * 109]', '["AF_UNIX"]', '[:AF_INET, 80, "x", "127.0.0.1"]', '["AF_FOO", 1]',
             '["AF_APPLETALK", 1]', '[]', '["AF_INET"]', '["AF_INET", 80, 5, "127.0.0.1"]',
             '["AF_INET", 2**40, "x", "127.0.0.1"]', '["AF_INET", 80, "x", nil]', '["AF_INET", 80, "x", "1.2.3.4", 9]',
             '["AF_INET\0", 80, "x", "1.2.3.4"]', '["AF_\xff", 1]', '["PF_INET", 80, "x", "1.2.3.4"]', '["AF_INET6", 80, "x", "::1%99999"]']
    forms.each do |f|
      ["", ", :INET6", ", :INET, :DGRAM", ", nil, :STREAM, 6", ", :UNIX"].each do |rest|
        lines << "show(%q{#{f}#{rest}}) { a = Addrinfo.new(#{f}#{rest}); [a, a.pfamily, a.socktype, a.protocol, a.canonname] }"
      end
    end
    lines << 'show("arity0") { Addrinfo.new }'
    lines << 'show("arity5") { Addrinfo.new("", 1, 2, 3, 4) }'
    lines << 'show("int") { Addrinfo.new(5) }'
    lines << 'show("reinit") { a = Addrinfo.tcp("127.0.0.1", 1); a.send(:initialize, Socket.sockaddr_in(2, "127.0.0.1")) }'
    lines << 'show("uninit") { Addrinfo.allocate.inspect }'
    lines << 'show("uninit2") { Addrinfo.allocate.to_sockaddr }'
    lines << 'show("uninit3") { Addrinfo.allocate.ip? }'
    lines << 'show("subclass") { Class.new(Addrinfo).new(Socket.sockaddr_in(1, "127.0.0.1")).inspect.sub(/#<Class:0x\h+>/, "C") }'
    run_table(lines)
  end

  def test_unix_constructor
    lines = []
    ['"/tmp/s"', '""', '"\0abs"', '"rel"', '"a" * 108', '"a" * 109', "nil", ":sym", '"sp ace"', '"/\xff".b'].each do |p|
      ["", ", :DGRAM", ", :SEQPACKET", ", nil", ", :FOO", ", 99"].each do |st|
        lines << "show(%q{#{p}#{st}}) { a = Addrinfo.unix(#{p}#{st}); [a, a.to_sockaddr, a.unix_path, a.socktype, a.marshal_dump, Marshal.load(Marshal.dump(a)).to_sockaddr.size] }"
      end
    end
    run_table(lines)
  end

  def test_marshal
    lines = []
    ['Addrinfo.tcp("127.0.0.1", 80)', 'Addrinfo.udp("::1", 53)', 'Addrinfo.tcp("localhost", "http")',
     'Addrinfo.getaddrinfo("localhost", nil, :INET, nil, nil, Socket::AI_CANONNAME).first',
     'Addrinfo.unix("/tmp/x", :DGRAM)', 'Addrinfo.ip("fe80::1%1")', 'Addrinfo.new(Socket.sockaddr_in(1, "1.2.3.4"), :INET, :RAW, 1)',
     'Addrinfo.new(Socket.sockaddr_in(1, "1.2.3.4"), :INET, 99)', 'Addrinfo.new(Socket.sockaddr_in(1, "1.2.3.4"), 99)',
     'Addrinfo.new(Socket.sockaddr_in(1, "1.2.3.4"), :UNIX, :STREAM, 6)', 'Addrinfo.new(Socket.sockaddr_in(1, "1.2.3.4"), :INET, :STREAM, 200)'].each do |e|
      lines << "show(%q{dump #{e}}) { Marshal.dump(#{e}) }"
      lines << "show(%q{load #{e}}) { b = Marshal.load(Marshal.dump(#{e})); [b, b.canonname, b.pfamily, b.socktype, b.protocol] }"
    end
    # Dumps as stock writes them load here, and malformed ones fail alike.
    [['AF_INET', ['127.0.0.1', '80'], 'PF_INET', 'SOCK_STREAM', 'IPPROTO_TCP', nil, nil],
     ['AF_INET', ['127.0.0.1', '80'], 'PF_INET', 0, 0, 'canon', 'insp'],
     ['AF_UNIX', '/tmp/s', 'PF_UNIX', 'SOCK_STREAM', 0, nil, nil],
     ['AF_UNIX', 'a' * 109, 'PF_UNIX', 'SOCK_STREAM', 0, nil, nil],
     ['AF_UNIX', '/tmp/s', 'PF_UNIX', 'SOCK_STREAM', 'IPPROTO_TCP', nil, nil],
     ['AF_FOO', ['1', '2'], 'PF_INET', 0, 0, nil, nil], ['AF_INET', ['1', '2'], 'PF_FOO', 0, 0, nil, nil],
     ['AF_INET', ['1', '2'], 'PF_INET', 'SOCK_FOO', 0, nil, nil], ['AF_INET', ['1', '2'], 'PF_INET', 0, 'IPPROTO_FOO', nil, nil],
     ['AF_INET', ['x', '2'], 'PF_INET', 0, 0, nil, nil], ['AF_INET', ['1.2.3.4', 'http'], 'PF_INET', 0, 0, nil, nil],
     ['AF_INET', '1.2.3.4', 'PF_INET', 0, 0, nil, nil], ['AF_INET6', ['::1', '2'], 'PF_INET6', 1, 0, nil, nil],
     ['AF_INET', ['1.2.3.4', '2'], 'PF_INET', 0, 0, 5, nil], 'notarray', []].each do |d|
      lines << "show(%q{mload #{d.inspect}}) { a = Addrinfo.allocate; a.marshal_load(#{d.inspect}); [a, a.canonname, a.pfamily, a.socktype, a.protocol] }"
    end
    lines << 'show("mload twice") { a = Addrinfo.tcp("1.2.3.4", 1); a.marshal_load(a.marshal_dump) }'
    run_table(lines)
  end

  def test_getnameinfo_flags
    lines = []
    ['Addrinfo.tcp("127.0.0.1", 80)', 'Addrinfo.udp("127.0.0.1", 53)', 'Addrinfo.tcp("127.0.0.1", 0)',
     'Addrinfo.tcp("::1", 22)', 'Addrinfo.unix("/tmp/x")', 'Addrinfo.tcp("127.0.0.1", 9)'].each do |a|
      ["", "Socket::NI_NUMERICHOST | Socket::NI_NUMERICSERV", "Socket::NI_NUMERICSERV",
       "Socket::NI_NUMERICHOST", "Socket::NI_DGRAM | Socket::NI_NUMERICHOST", "nil", '"1"', "2**40"].each do |fl|
        next if a.include?("::1") && !fl.include?("NUMERICHOST") # no reverse DNS for ::1 (not in /etc/hosts)

        lines << "show(%q{#{a} #{fl}}) { (#{a}).getnameinfo(#{fl}) }"
      end
    end
    run_table(lines)
  end
end

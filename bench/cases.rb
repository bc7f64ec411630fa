# frozen_string_literal: true

# The benchmark cases. Loaded by the driver (bench/run.rb, which only reads
# names and options and never runs a block) and by each child
# (bench/child.rb, which runs one case against the implementation it was
# started with). Nothing here touches a socket class at load time.
#
#   bench NAME, options do
#     setup  { ... }   # once; instance variables are shared with the blocks below
#     run    { ... }   # the timed operation; its value is checked before timing
#     expect VALUE     # or expect { VALUE }: run's value must == it
#     check  { |r| }   # or a custom check: return nil when r is right, else a message
#     verify { }       # extra one-off correctness checks (nil or a message)
#   end
#
# Options:
#   threads: true     the case uses several threads (not pinned to one CPU)
#   pin: true/false   override: pin (or not) whatever threads: says
#   unit:, scale:     ops/s by default; e.g. MB/s with scale: bytes/op / 1e6
#   raw: NAME         the bench/raw case doing the same exchange with libc
#   kind: :wrk        an HTTP server driven by wrk (see bench/run.rb)
#   kind: :memory     run `count:` operations, keep the results, report VmHWM
#   leak_check: false skip the generic descriptor-leak check
#
# Every expected value is computed independently of the implementation under
# test (Array#pack, /proc, literal stock formats), so a fast but wrong
# implementation fails its case instead of scoring.
module Bench
  CASES = []

  # The definition of one case, built by the DSL block.
  class Case
    attr_reader :name, :opts, :setup_block, :run_block, :expect_block,
                :check_block, :verify_blocks

    NONE = Object.new.freeze

    def initialize(name, opts)
      @name = name
      @opts = { unit: "ops/s", scale: 1.0, kind: :ops, threads: false, leak_check: true }.merge(opts)
      @verify_blocks = []
    end

    def setup(&block) = (@setup_block = block)
    def run(&block) = (@run_block = block)
    def check(&block) = (@check_block = block)
    def verify(&block) = @verify_blocks << block

    def expect(value = NONE, &block)
      @expect_block = value.equal?(NONE) ? block : proc { value }
    end

    def [](key) = @opts[key]
  end

  def self.bench(name, **opts, &dsl)
    c = Case.new(name, opts)
    c.instance_eval(&dsl)
    raise ArgumentError, "case #{name} has no run block" unless c.run_block
    raise ArgumentError, "duplicate case #{name}" if CASES.any? { |x| x.name == name }

    CASES << c
  end

  AF_INET = 2   # Linux values, written out so checks do not trust the
  AF_INET6 = 10 # implementation's own constants
  AF_UNIX = 1

  # Helpers available inside case blocks (they are instance-exec'd on an
  # object that includes this module). Pure Ruby, no socket calls.
  module Helpers

    # struct sockaddr_in for 127.0.0.1:port, built by hand.
    def sin_bytes(port, ip = [127, 0, 0, 1])
      [AF_INET, port, *ip].pack("S n C4 x8")
    end

    # [family, port, "a.b.c.d"] from struct sockaddr_in bytes.
    def sin_unpack(bytes)
      fam, port, *ip = bytes.unpack("S n C4")
      [fam, port, ip.join(".")]
    end

    def sin_port(bytes) = sin_unpack(bytes)[1]

    # struct sockaddr_un as stock returns it (full 110-byte struct).
    def sun_bytes(path) = [AF_UNIX].pack("S") + path.b.ljust(108, "\0")

    def fd_path(io) = File.readlink("/proc/self/fd/#{io.fileno}")

    def mismatch(what, want, got)
      "#{what}: expected #{want.inspect[0, 200]}, got #{got.inspect[0, 200]}"
    end
  end
end

module Bench
  MSG64 = ("0123456789abcdef" * 4).freeze
  CHUNK = (0..255).map(&:chr).join.b * 256 # 64 KiB, every byte value
  SUN_PATH = "/tmp/socket_rs_bench.sock"

  # ---------------------------------------------------------------------
  # Pure computation: no system call on the hot path.

  bench "Socket.sockaddr_in" do
    expect [2, 80, 127, 0, 0, 1].pack("S n C4 x8")
    run { Socket.sockaddr_in(80, "127.0.0.1") }
  end

  bench "Socket.unpack_sockaddr_in" do
    setup { @sa = sin_bytes(8080) }
    expect [8080, "127.0.0.1"]
    run { Socket.unpack_sockaddr_in(@sa) }
  end

  bench "Socket.sockaddr_un" do
    expect { sun_bytes(SUN_PATH) }
    run { Socket.sockaddr_un(SUN_PATH) }
  end

  bench "Socket.unpack_sockaddr_un" do
    setup { @sa = sun_bytes(SUN_PATH) }
    expect SUN_PATH
    run { Socket.unpack_sockaddr_un(@sa) }
  end

  bench "Addrinfo.tcp IPv4 numeric" do
    run { Addrinfo.tcp("127.0.0.1", 80) }
    check do |ai|
      got = [ai.to_sockaddr, ai.afamily, ai.pfamily, ai.socktype, ai.protocol]
      want = [sin_bytes(80), AF_INET, AF_INET, 1, 6]
      mismatch("sockaddr, afamily, pfamily, socktype, protocol", want, got) unless got == want
    end
  end

  bench "Addrinfo.tcp IPv6 numeric" do
    run { Addrinfo.tcp("::1", 80) }
    check do |ai|
      want = [[AF_INET6, 80, 0, "#{"\0" * 15}\1", 0].pack("S n N a16 L"), AF_INET6, 1, 6]
      got = [ai.to_sockaddr, ai.afamily, ai.socktype, ai.protocol]
      mismatch("sockaddr, afamily, socktype, protocol", want, got) unless got == want
    end
  end

  bench "Addrinfo#inspect" do
    setup { @ai = Addrinfo.tcp("127.0.0.1", 80) }
    expect "#<Addrinfo: 127.0.0.1:80 TCP>"
    run { @ai.inspect }
  end

  bench "Addrinfo#ip_unpack" do
    setup { @ai = Addrinfo.tcp("127.0.0.1", 8080) }
    expect ["127.0.0.1", 8080]
    run { @ai.ip_unpack }
  end

  bench "Addrinfo.getaddrinfo numeric" do
    run { Addrinfo.getaddrinfo("127.0.0.1", 80, :INET, :STREAM) }
    check do |list|
      got = list.map { |ai| [ai.to_sockaddr, ai.socktype, ai.protocol] }
      want = [[sin_bytes(80), 1, 6]]
      mismatch("addrinfos", want, got) unless got == want
    end
  end

  bench "Addrinfo.getaddrinfo localhost" do
    run { Addrinfo.getaddrinfo("localhost", 80, nil, :STREAM) }
    check do |list|
      ips = list.map(&:ip_address)
      if list.empty? || !(ips - %w[127.0.0.1 ::1]).empty? || list.any? { |ai| ai.ip_port != 80 }
        mismatch("loopback addrinfos on port 80", "127.0.0.1 and/or ::1", list)
      end
    end
  end

  bench "Socket.getaddrinfo numeric" do
    expect [["AF_INET", 80, "127.0.0.1", "127.0.0.1", 2, 1, 6]]
    run { Socket.getaddrinfo("127.0.0.1", 80, :INET, :STREAM) }
  end

  bench "Socket::Option.int(...).int" do
    expect 1
    run { Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, 1).int }
    verify do
      o = Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, -7)
      got = [o.family, o.level, o.optname, o.data, o.int]
      want = [AF_INET, 1, 9, [-7].pack("i"), -7] # SOL_SOCKET, SO_KEEPALIVE on Linux
      mismatch("family, level, optname, data, int", want, got) unless got == want
    end
  end

  bench "IPSocket.getaddress localhost" do
    run { IPSocket.getaddress("localhost") }
    check { |r| mismatch("address", "127.0.0.1 or ::1", r) unless %w[127.0.0.1 ::1].include?(r) }
  end

  bench "Socket.gethostname" do
    expect { File.read("/proc/sys/kernel/hostname").chomp }
    run { Socket.gethostname }
  end

  bench "Socket.ip_address_list" do
    run { Socket.ip_address_list }
    check do |list|
      require "ipaddr"
      # The kernel's own list of IPv6 addresses, independent of getifaddrs.
      want6 = File.readlines("/proc/net/if_inet6").map do |l|
        IPAddr.new(l.split.first.scan(/..../).join(":")).to_s
      end.sort
      got6 = list.select(&:ipv6?).map { |ai| ai.ip_address.sub(/%.*/, "") }.sort
      ips = list.map(&:ip_address)
      if !list.all?(Addrinfo) || !ips.include?("127.0.0.1") || got6 != want6
        mismatch("127.0.0.1 and IPv6 #{want6}", want6, list)
      end
    end
  end

  # ---------------------------------------------------------------------
  # System calls on the hot path.

  bench "Socket.new+close", raw: "socket" do
    run { Socket.new(Socket::AF_INET, Socket::SOCK_STREAM, 0).close }
    expect nil
    verify do
      s = Socket.new(Socket::AF_INET, Socket::SOCK_STREAM, 0)
      link = fd_path(s)
      s.close
      mismatch("descriptor", "socket:[inode]", link) unless link.start_with?("socket:[")
    end
  end

  bench "constants: Socket.new(\"INET\", \"STREAM\")+close", raw: "socket" do
    run { Socket.new("INET", "STREAM").close }
    expect nil
    verify do
      # A lookup that ignored its argument would not raise here.
      Socket.new("NO_SUCH_DOMAIN", "STREAM").close
      "Socket.new(\"NO_SUCH_DOMAIN\", ...) did not raise"
    rescue SocketError => e
      mismatch("error", "unknown socket domain: NO_SUCH_DOMAIN", e.message) unless e.message == "unknown socket domain: NO_SUCH_DOMAIN"
    end
  end

  bench "Socket.pair 1B send/recv ping-pong", raw: "socketpair" do
    setup { @a, @b = Socket.pair(:UNIX, :STREAM) }
    expect "xy"
    run do
      @a.send("x", 0)
      got = @b.recv(1)
      @b.send("y", 0)
      got + @a.recv(1)
    end
  end

  # The echo side in a second thread: recv usually finds nothing yet, so
  # this measures the wait path (EAGAIN, wait, retry) and the GVL handoff.
  bench "Socket.pair 1B ping-pong, echo thread", threads: true, raw: "socketpair_thread" do
    setup do
      @a, @b = Socket.pair(:UNIX, :STREAM)
      @echo = Thread.new { loop { @b.send(@b.recv(1), 0) } }
    end
    expect "x"
    run do
      @a.send("x", 0)
      @a.recv(1)
    end
  end

  # The same with both threads on one CPU: scheduling no longer hides how
  # often a woken thread finds the GVL taken (context switches per op).
  bench "Socket.pair 1B ping-pong, echo thread, one CPU", threads: true, pin: true, raw: "socketpair_thread" do
    setup do
      @a, @b = Socket.pair(:UNIX, :STREAM)
      @echo = Thread.new { loop { @b.send(@b.recv(1), 0) } }
    end
    expect "x"
    run do
      @a.send("x", 0)
      @a.recv(1)
    end
  end

  bench "Socket.pair(:UNIX) 64B write/read", raw: "unix64" do
    setup { @a, @b = Socket.pair(:UNIX, :STREAM) }
    expect MSG64
    run do
      @a.write(MSG64)
      @b.read(64)
    end
  end

  bench "UNIXSocket.pair 64B write/read", raw: "unix64" do
    setup { @a, @b = UNIXSocket.pair }
    expect MSG64
    run do
      @a.write(MSG64)
      @b.read(64)
    end
  end

  bench "BasicSocket#recv into outbuf 64B", raw: "unix64" do
    setup do
      @a, @b = Socket.pair(:UNIX, :STREAM)
      @buf = String.new(capacity: 64)
    end
    run do
      @a.send(MSG64, 0)
      @b.recv(64, 0, @buf)
    end
    check { |r| mismatch("recv into the given buffer", [MSG64, true], [r, r.equal?(@buf)]) unless r == MSG64 && r.equal?(@buf) }
  end

  bench "recv_nonblock empty, exception: false" do
    setup { @a, @b = Socket.pair(:UNIX, :STREAM) }
    expect :wait_readable
    run { @a.recv_nonblock(1, exception: false) }
    verify do
      @b.send("z", 0)
      got = @a.recv_nonblock(1, exception: false)
      mismatch("after a send", "z", got) unless got == "z"
    end
  end

  bench "setsockopt+getsockopt" do
    setup { @s = Socket.new(Socket::AF_INET, Socket::SOCK_STREAM, 0) }
    expect 1
    run do
      @s.setsockopt(Socket::SOL_SOCKET, Socket::SO_KEEPALIVE, 1)
      @s.getsockopt(Socket::SOL_SOCKET, Socket::SO_KEEPALIVE).int
    end
    verify do
      @s.setsockopt(Socket::SOL_SOCKET, Socket::SO_KEEPALIVE, 0)
      data = @s.getsockopt(Socket::SOL_SOCKET, Socket::SO_KEEPALIVE).data
      mismatch("SO_KEEPALIVE after setting 0", [0].pack("i"), data) unless data == [0].pack("i")
    end
  end

  bench "UDP 1B ping-pong send/recvfrom", raw: "udp" do
    setup do
      @a = UDPSocket.new
      @a.bind("127.0.0.1", 0)
      @b = UDPSocket.new
      @b.bind("127.0.0.1", 0)
      @a_sa = @a.getsockname
      @b_sa = @b.getsockname
    end
    run do
      @a.send("x", 0, @b_sa)
      m1 = @b.recvfrom(1)
      @b.send("y", 0, @a_sa)
      [m1, @a.recvfrom(1)]
    end
    expect do
      [["x", ["AF_INET", sin_port(@a_sa), "127.0.0.1", "127.0.0.1"]],
       ["y", ["AF_INET", sin_port(@b_sa), "127.0.0.1", "127.0.0.1"]]]
    end
  end

  # Shared by the TCP cases: a listener on a free loopback port and a
  # connected pair.
  module TCPSetup
    def listen
      @server = TCPServer.new("127.0.0.1", 0)
      @port = sin_port(@server.getsockname)
    end

    def connected_pair
      listen
      @c = TCPSocket.new("127.0.0.1", @port)
      @s = @server.accept
    end

    # The two ends of an accepted connection agree on each other's ports.
    def check_connection(c, s)
      want = [sin_bytes(@port), sin_unpack(c.getsockname)[1]]
      got = [c.getpeername[0, 16], sin_unpack(s.getpeername)[1]]
      mismatch("client's peer, server's peer port", want, got) unless want == got && s.getsockname[0, 16] == sin_bytes(@port)
    end
  end
  Helpers.include(TCPSetup)

  bench "TCP 64B ping-pong", raw: "tcp" do
    setup { connected_pair }
    expect MSG64
    run do
      @c.send(MSG64, 0)
      got = @s.recv(64)
      @s.send(got, 0)
      @c.recv(64)
    end
  end

  bench "TCP bulk 64 KiB writes", unit: "MB/s", scale: 65_536 / 1e6 do
    setup do
      connected_pair
      @buf = String.new(capacity: 65_536)
    end
    expect CHUNK
    run do
      @c.write(CHUNK)
      @s.read(65_536, @buf)
    end
  end

  # A client connection made by `connect` (given the port), accepted, and
  # both ends closed: by address and, as apps and their tests connect, by
  # name. The server listens on 127.0.0.1 only, so where /etc/hosts also
  # names ::1 for localhost the IPv6 attempt is refused first (stock 3.1
  # tries the addresses in resolver order, 3.4 races the families).
  {
    "TCP connect+accept+close" => [{ raw: "connect" }, ->(port) { TCPSocket.new("127.0.0.1", port) }],
    "Socket.tcp connect+close" => [{ raw: "connect" }, ->(port) { Socket.tcp("127.0.0.1", port) }],
    "TCPSocket.new(localhost) connect+accept+close" => [{}, ->(port) { TCPSocket.new("localhost", port) }],
    "Socket.tcp(localhost) connect+close" => [{}, ->(port) { Socket.tcp("localhost", port) }]
  }.each do |name, (opts, connect)|
    bench name, **opts do
      setup { listen }
      expect nil
      run do
        c = connect.call(@port)
        s = @server.accept
        c.close
        s.close
      end
      verify do
        c = connect.call(@port)
        s = @server.accept
        check_connection(c, s)
      ensure
        c&.close
        s&.close
      end
    end
  end

  bench "IPSocket#peeraddr" do
    setup { connected_pair }
    expect { ["AF_INET", @port, "127.0.0.1", "127.0.0.1"] }
    run { @c.peeraddr }
  end

  bench "accept with 4 threads", threads: true do
    setup do
      listen
      @threads = Array.new(4) do
        Thread.new do
          loop do
            s = @server.accept
            s.write("ok")
            s.close
          end
        end
      end
    end
    expect "ok"
    run do
      c = TCPSocket.new("127.0.0.1", @port)
      got = c.read
      c.close
      got
    end
  end

  # ---------------------------------------------------------------------
  # A thread-per-connection HTTP/1.1 hello server driven by wrk. The driver
  # checks a response byte for byte (with the stock extension, in its own
  # process) before timing.

  HELLO = "Hello, world!\n"

  module HTTPServer
    def serve_http(close:)
      listen
      response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" \
                 "Content-Length: #{HELLO.bytesize}\r\n#{close ? "Connection: close\r\n" : ""}\r\n#{HELLO}"
      @acceptor = Thread.new do
        loop do
          Thread.new(@server.accept) do |conn|
            while (head = conn.gets("\r\n\r\n"))
              break unless head.start_with?("GET ")

              conn.write(response)
              break if close
            end
          rescue SystemCallError, IOError
            nil
          ensure
            conn.close
          end
        end
      end
    end
  end
  Helpers.include(HTTPServer)

  bench "Net::HTTP.start(localhost) GET+close", threads: true, leak_check: false do
    setup do
      require "net/http"
      serve_http(close: true)
    end
    expect HELLO
    run { Net::HTTP.start("localhost", @port) { |http| http.get("/").body } }
  end

  bench "HTTP hello, wrk keep-alive", kind: :wrk, threads: true, unit: "req/s", leak_check: false do
    setup { serve_http(close: false) }
    run { @port }
  end

  bench "HTTP hello, wrk Connection: close", kind: :wrk, threads: true, unit: "req/s", leak_check: false,
                                              close: true do
    setup { serve_http(close: true) }
    run { @port }
  end

  # ---------------------------------------------------------------------
  # Memory: one million Addrinfo objects kept alive; peak RSS of the process.

  bench "1M Addrinfo.tcp, peak RSS", kind: :memory, count: 1_000_000, leak_check: false do
    run { Addrinfo.tcp("127.0.0.1", 80) }
    check { |ai| mismatch("sockaddr", sin_bytes(80), ai.to_sockaddr) unless ai.to_sockaddr == sin_bytes(80) }
  end
end

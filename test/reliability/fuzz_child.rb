# frozen_string_literal: true

# Child process of fuzz_test.rb. `list` prints the public methods to fuzz;
# `run SEED CALLS_PER_METHOD METHODS_FILE` calls each with random arguments
# and prints one line per call: the exception class, or the result class
# (and value when deterministic). The parent runs it under stock and under
# socket_rs with the same seed and compares the lines.
if ENV["SOCKET_IMPL"] == "stock"
  require "socket"
else
  require "socket_rs"
end
require "timeout"

CLASSES = [BasicSocket, Socket, IPSocket, TCPSocket, TCPServer, UDPSocket, UNIXSocket, UNIXServer,
           Addrinfo, Socket::Option, Socket::Ifaddr, Socket::AncillaryData].freeze

# Calls left out, each for a reason:
SKIP = {
  # would block forever on a socket with no data or no peer
  blocking: %w[BasicSocket#recv BasicSocket#recvmsg Socket#accept Socket#sysaccept Socket#recvfrom
               IPSocket#recvfrom UNIXSocket#recvfrom UNIXSocket#recv_io TCPServer#accept TCPServer#sysaccept
               UNIXServer#accept UNIXServer#sysaccept Socket.accept_loop Socket.tcp_server_loop
               Socket.udp_server_loop Socket.udp_server_loop_on Socket.unix_server_loop Socket.udp_server_recv],
  # could reach an address beyond loopback (random sockaddrs, numeric hosts)
  network: %w[Socket#connect Socket#connect_nonblock UDPSocket#connect UDPSocket#send BasicSocket#send
              Addrinfo#connect Addrinfo#connect_from Addrinfo#connect_to Socket.tcp Socket.tcp_with_fast_fallback
              Socket.udp_server_sockets
              Socket.tcp_server_sockets TCPSocket.new TCPSocket.open Socket.gethostbyaddr
              BasicSocket#sendmsg BasicSocket#sendmsg_nonblock],
  # stock-internal helper that connects
  internal: %w[Addrinfo#connect_internal]
}.values.flatten.freeze

def methods_to_fuzz
  CLASSES.flat_map do |k|
    k.instance_methods(false).sort.map { |m| "#{k}##{m}" } + k.singleton_methods(false).sort.map { |m| "#{k}.#{m}" }
  end.reject { |n| SKIP.include?(n) }
end

# Seconds a call may take before it counts as a hang (a short value in the
# environment turns this into a fuzz of asynchronous Timeout interrupts).
CALL_TIMEOUT = Float(ENV.fetch("FUZZ_CALL_TIMEOUT", "5"))

SOCKADDRS = [
  ["\x02\x00\x00\x50\x7f\x00\x00\x01".b + "\0" * 8, "AF_INET 127.0.0.1:80"],
  ["\x0a\x00\x00\x50".b + "\0" * 4 + "\0" * 15 + "\x01" + "\0" * 4, "AF_INET6 [::1]:80"],
  ["\x01\x00/tmp/x".b, "AF_UNIX"]
].freeze

# One random argument. Hosts come only from a fixed local pool (and the
# no_dns shim refuses any other name) so nothing is resolved off the host.
def random_arg(rng, depth = 0)
  case rng.rand(24)
  when 0 then nil
  when 1 then [true, false].sample(random: rng)
  when 2 then [0, 1, -1, 2, 3, 10, 65_535, 65_536, 80].sample(random: rng)
  when 3 then [2**31 - 1, 2**31, -2**31 - 1, 2**32, 2**63, -2**63 - 1, 2**64, 2**100, -2**100].sample(random: rng)
  when 4 then rng.rand(-1000..1000)
  when 5 then [1.5, -0.0, Float::NAN, Float::INFINITY, 1e30].sample(random: rng)
  when 6 then %i[INET INET6 UNIX UNSPEC STREAM DGRAM RAW SOCKET IP IPV6 TCP UDP KEEPALIVE REUSEADDR LINGER
                 BOGUS AF_INET SOCK_STREAM SO_RCVBUF].sample(random: rng)
  when 7 then %w[INET AF_INET6 STREAM SOCK_DGRAM SOCKET TCP_NODELAY BOGUS inet].sample(random: rng).dup
  when 8 then ["127.0.0.1", "::1", "localhost", "", "0.0.0.0", "::", "<any>", "<broadcast>", "[::1]",
               "not a host", "127.0.0.1%lo", "http", "80", "65536", "-1"].sample(random: rng).dup
  when 9 then rng.bytes(rng.rand(0..40))
  when 10
    sa, = SOCKADDRS.sample(random: rng)
    sa[0, rng.rand(0..sa.bytesize)]
  when 11
    sa, = SOCKADDRS.sample(random: rng)
    sa = sa.dup
    sa.setbyte(rng.rand(sa.bytesize), rng.rand(256))
    sa
  when 12 then SOCKADDRS.sample(random: rng)[0].dup
  when 13 then ["frozen", "", "\x02\x00".b].sample(random: rng).freeze
  when 14 then String.new("buf", capacity: 64)
  when 15 then [0, 1, 4, 8, 16, 100, 65_536].sample(random: rng).then { |n| "x" * n }
  when 16 then [1, 0].pack(%w[i ii q].sample(random: rng))
  when 17 then depth < 2 ? Array.new(rng.rand(0..4)) { random_arg(rng, depth + 1) } : []
  when 18 then [["AF_INET", 80, "127.0.0.1", "127.0.0.1"], ["AF_INET6", 80, "::1", "::1"], ["AF_UNIX", "/tmp/x"],
                ["AF_INET", 80], [:INET, "x"]].sample(random: rng)
  when 19 then depth < 2 ? { timeout: random_arg(rng, depth + 1) } : {}
  when 20 then Object.new
  when 21 then Addrinfo.tcp("127.0.0.1", 80)
  when 22 then [Socket::AF_INET, Socket::AF_INET6, Socket::AF_UNIX, Socket::SOCK_STREAM, Socket::SOL_SOCKET,
                Socket::SO_REUSEADDR, Socket::IPPROTO_TCP, Socket::MSG_PEEK, Socket::AI_PASSIVE,
                Socket::NI_NUMERICHOST].sample(random: rng)
  else Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, 1)
  end
end

# A fresh receiver for an instance method of `klass`, non-blocking and local.
def receiver(klass, opened)
  r = case klass.name
      when "BasicSocket", "UNIXSocket" then UNIXSocket.pair.tap { |p| opened.concat(p) }.first
      when "Socket"
        Socket.new(:INET, :DGRAM).tap { |s| s.bind(Addrinfo.udp("127.0.0.1", 0)) }
      when "IPSocket", "UDPSocket" then UDPSocket.new.tap { |s| s.bind("127.0.0.1", 0) }
      when "TCPSocket"
        srv = TCPServer.new("127.0.0.1", 0)
        opened << srv
        c = TCPSocket.new("127.0.0.1", srv.local_address.ip_port)
        opened << srv.accept
        c
      when "TCPServer" then TCPServer.new("127.0.0.1", 0)
      when "UNIXServer" then UNIXServer.new("srv#{opened.size}-#{rand(1 << 30)}.sock")
      when "Addrinfo" then return Addrinfo.tcp("127.0.0.1", 80)
      when "Socket::Option" then return Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, 1)
      when "Socket::Ifaddr" then return Socket.getifaddrs.find { |i| i.name == "lo" }
      when "Socket::AncillaryData" then return Socket::AncillaryData.int(:UNIX, :SOCKET, :RIGHTS, 0)
      end
  opened << r
  r
end

PLAIN = [String, Integer, Symbol, NilClass, TrueClass, FalseClass, Float].freeze

def plain?(v)
  PLAIN.include?(v.class) || (v.is_a?(Array) && v.size < 50 && v.all? { |x| plain?(x) })
end

# What to compare for a result: its class, and its value when the call is
# deterministic (no ports chosen by the kernel, no fd numbers).
def describe(name, value)
  # Socket.getnameinfo of a short AF_UNIX sockaddr: stock's getnameinfo(3)
  # reads sun_path past the given length (garbage bytes in its answer).
  deterministic = (name.start_with?("Addrinfo", "Socket::Option", "Socket::AncillaryData") || name.start_with?("Socket.")) &&
                  name != "Socket.getnameinfo"
  return "ok #{value.class}" unless deterministic
  return "ok #{value.inspect}" if plain?(value) || value.is_a?(Addrinfo) || value.is_a?(Socket::Option)

  "ok #{value.class}"
end

def run(seed, per_method, file)
  names = File.readlines(file, chomp: true)
  stress_every = Integer(ENV.fetch("FUZZ_GC_STRESS_EVERY", "40"))
  idx = 0
  names.each do |name|
    klass_name, sep, meth = name.partition(/[#.]/)
    klass = Object.const_get(klass_name)
    per_method.times do
      idx += 1
      rng = Random.new(seed * 1_000_003 + idx)
      args = Array.new(rng.rand(0..4)) { random_arg(rng) }
      opened = []
      out = begin
        target = sep == "#" ? receiver(klass, opened) : klass
        stress = (idx % stress_every).zero?
        Timeout.timeout(CALL_TIMEOUT) do
          GC.stress = stress
          v = target.__send__(meth, *args)
          GC.stress = false
          opened << v if v.is_a?(IO)
          v.each { |x| opened << x if x.is_a?(IO) } if v.is_a?(Array)
          describe(name, v)
        end
      rescue Timeout::Error
        "HANG"
      rescue Exception => e # rubocop:disable Lint/RescueException
        GC.stress = false
        cls = e.class
        cls = SocketError if defined?(Socket::ResolutionError) && cls == Socket::ResolutionError
        "raise #{cls}"
      ensure
        GC.stress = false
        opened.each { |io| io.close unless io.closed? rescue nil }
      end
      shown = args.map { |a| a.inspect.gsub(/:0x\h+/, "")[0, 60] }.join(", ")
      puts "#{idx} #{name} #{shown} => #{out}"
    end
  end
end

$stdout.sync = true
case ARGV[0]
when "list" then puts methods_to_fuzz
when "run" then run(Integer(ARGV[1]), Integer(ARGV[2]), ARGV[3])
end

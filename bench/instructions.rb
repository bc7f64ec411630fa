# frozen_string_literal: true

# User-space instructions per operation, stock against socket_rs, counted by
# valgrind's callgrind: repeatable whatever else the shared machine is doing,
# where the timed ratios of bench/run.rb move by ±5-10%. The kernel's part is
# not counted, so this tells how much CPU each implementation adds on top of
# the system calls (bench/SYSCALLS.md counts those).
#
#   ruby bench/instructions.rb            # every snippet (about 5 minutes)
#   ruby bench/instructions.rb udp pair   # some of them
#
# Each snippet runs N times in a fresh process; the count per operation is
# (instructions at N=11000 - instructions at N=1000) / 10000, so start-up
# cancels. It includes the `n.times { }` loop (about 390 instructions).

require "open3"
require "rbconfig"
require "tmpdir"

module BenchInstructions
  ROOT = File.expand_path("..", __dir__)

  SETUP = <<~RUBY
    n = Integer(ARGV[1])
  RUBY

  SNIPPETS = {
    "sockaddr_un" => 'n.times { Socket.sockaddr_un("/tmp/socket_rs_bench_sock_0123") }',
    "unpack_sockaddr_un" => 'sa = Socket.sockaddr_un("/tmp/socket_rs_bench_sock_0123"); ' \
                            "n.times { Socket.unpack_sockaddr_un(sa) }",
    "ip_unpack" => 'ai = Addrinfo.tcp("127.0.0.1", 80); n.times { ai.ip_unpack }',
    "Option.int.int" => "n.times { Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, 1).int }",
    "Socket.getaddrinfo numeric" => 'n.times { Socket.getaddrinfo("127.0.0.1", 80, nil, :STREAM) }',
    "Socket.new+close" => "n.times { Socket.new(:INET, :STREAM).close }",
    "recv_nonblock empty" => "a, b = Socket.pair(:UNIX, :STREAM); n.times { a.recv_nonblock(1, exception: false) }",
    "Socket.pair send+recv" => 'a, b = Socket.pair(:UNIX, :STREAM); n.times { a.send("x", 0); b.recv(1) }',
    "UDP round trip" => <<~RUBY,
      a = UDPSocket.new; a.bind("127.0.0.1", 0); b = UDPSocket.new; b.bind("127.0.0.1", 0)
      asa = a.getsockname; bsa = b.getsockname
      n.times { a.send("x", 0, bsa); b.recvfrom(1); b.send("y", 0, asa); a.recvfrom(1) }
    RUBY
    "TCPSocket.new+accept+close" => <<~RUBY,
      srv = TCPServer.new("127.0.0.1", 0); port = srv.addr[1]
      n.times { c = TCPSocket.new("127.0.0.1", port); s = srv.accept; c.close; s.close }
    RUBY
    "Socket.tcp+accept+close" => <<~RUBY
      srv = TCPServer.new("127.0.0.1", 0); port = srv.addr[1]
      n.times { c = Socket.tcp("127.0.0.1", port); s = srv.accept; c.close; s.close }
    RUBY
  }.freeze

  IMPLS = {
    "stock" => %w[-rsocket],
    "socket_rs" => ["-I#{File.join(ROOT, "lib")}", "-rsocket_rs"]
  }.freeze

  module_function

  def count(impl_args, script, n)
    out = File.join(Dir.tmpdir, "socket_rs_callgrind.#{Process.pid}")
    _, err, status = Open3.capture3("valgrind", "--tool=callgrind", "--callgrind-out-file=#{out}",
                                    RbConfig.ruby, *impl_args, script, "x", n.to_s)
    raise "callgrind failed: #{err.lines.last(5).join}" unless status.success?

    Integer(err[/Collected : ([\d,]+)/, 1].delete(","))
  ensure
    File.delete(out) if out && File.exist?(out)
  end

  def per_op(impl_args, script)
    (count(impl_args, script, 11_000) - count(impl_args, script, 1000)) / 10_000
  end

  def run(names)
    abort "valgrind is not installed" unless system("valgrind", "--version", out: File::NULL)
    chosen = names.empty? ? SNIPPETS : SNIPPETS.select { |k, _| names.any? { |n| k.downcase.include?(n.downcase) } }
    puts "| snippet | stock instructions/op | socket_rs instructions/op | stock/socket_rs |"
    puts "|---|---:|---:|---:|"
    Dir.mktmpdir do |dir|
      chosen.each do |name, body|
        script = File.join(dir, "snippet.rb")
        File.write(script, SETUP + body)
        stock, rs = IMPLS.values.map { |args| per_op(args, script) }
        puts format("| %s | %d | %d | %.2f |", name, stock, rs, stock.fdiv(rs))
      end
    end
  end
end

BenchInstructions.run(ARGV) if $PROGRAM_NAME == __FILE__

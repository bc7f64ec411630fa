# frozen_string_literal: true

# Child of interrupts_test.rb: a receiver written the way Ruby documents
# interrupt-safe code (Thread.handle_interrupt: deferred, let in only at the
# blocking call) under a storm of Thread#raise, a raise after every other
# message or connection. Prints, per call, how many the kernel handed over
# that the program never saw ("lost"). Runs under socket_rs or, with
# SOCKET_IMPL=stock, the stock extension (which loses some).
if ENV["SOCKET_IMPL"] == "stock"
  require "socket"
else
  require "socket_rs"
end
require "tmpdir"

class Poke < StandardError; end

COUNT = Integer(ARGV.fetch(0, "500"))

# Runs `receive` in a thread that defers interrupts except while blocked
# in it, counting what it returns; `produce` is called COUNT times with a
# raise after every other one; `drain` takes what is left. Returns lost.
def storm(receive, produce, drain)
  got = 0
  ready = Queue.new
  th = Thread.new do
    Thread.handle_interrupt(Exception => :never) do
      ready << true
      loop do
        result = Thread.handle_interrupt(Exception => :on_blocking) { receive.call }
        got += 1
        yield result
      rescue Poke
        nil
      end
    end
  end
  ready.pop
  COUNT.times do |i|
    produce.call
    th.raise(Poke) if i.odd?
    Thread.pass
  end
  sleep 0.3 # the receiver takes what it can; the rest is drained below
  th.kill.join
  left = drain.call
  COUNT - got - left
end

Dir.mktmpdir do |dir|
  path = File.join(dir, "s")
  server = UNIXServer.new(path)
  clients = []
  drain_accept = lambda do
    n = 0
    n += 1 while (c = server.accept_nonblock(exception: false)) != :wait_readable && c.close.nil?
    n
  end
  lost = storm(-> { server.accept }, -> { clients << UNIXSocket.new(path) }, drain_accept, &:close)
  puts "accept lost #{lost}"
  clients.each(&:close)

  a, b = UNIXSocket.pair(:DGRAM)
  drain_msgs = lambda do
    n = 0
    while (m = b.recvmsg_nonblock(10, 0, 100, scm_rights: true, exception: false)) != :wait_readable
      m[3]&.unix_rights&.each(&:close)
      n += 1
    end
    n
  end
  lost = storm(-> { b.recvmsg(10, 0, 100, scm_rights: true) },
               -> { a.sendmsg("x", 0, nil, Socket::AncillaryData.unix_rights($stdin)) },
               drain_msgs) { |m| m[3]&.unix_rights&.each(&:close) }
  puts "recvmsg lost #{lost}"

  e, f = UNIXSocket.pair
  drain_bytes = lambda do
    n = 0
    while (got = f.recv_nonblock(COUNT, exception: false)) != :wait_readable && got && !got.empty?
      n += got.bytesize
    end
    n
  end
  lost = storm(-> { f.recv(1) }, -> { e.write("x") }, drain_bytes) { nil }
  puts "recv lost #{lost}"

  srv = TCPServer.new("127.0.0.1", 0)
  port = srv.addr[1]
  tcp_clients = []
  drain_sys = lambda do
    n = 0
    n += 1 while (c = srv.accept_nonblock(exception: false)) != :wait_readable && c.close.nil?
    n
  end
  lost = storm(-> { srv.sysaccept }, -> { tcp_clients << TCPSocket.new("127.0.0.1", port) }, drain_sys) do |fd|
    IO.for_fd(fd).close
  end
  puts "sysaccept lost #{lost}"
  tcp_clients.each(&:close)

  c, d = UNIXSocket.pair
  drain_ios = lambda do
    n = 0
    n += 1 while d.wait_readable(0) && d.recv_io.close.nil?
    n
  end
  lost = storm(-> { d.recv_io }, -> { c.send_io($stdin) }, drain_ios, &:close)
  puts "recv_io lost #{lost}"
end

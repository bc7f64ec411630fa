# frozen_string_literal: true

require_relative "reliability_helper"

# Faults a server meets: peers that go away, half-closes, fork, running out
# of descriptors. Each becomes the Ruby exception stock raises; nothing dies.
class FaultsTest < Minitest::Test
  def test_write_to_a_closed_peer_is_epipe_not_sigpipe
    a, b = Socket.pair(:UNIX, :STREAM)
    b.close
    assert_raises(Errno::EPIPE) { a.send("x", 0) }
    assert_raises(Errno::EPIPE) { a.write("x") }
    a.close
  end

  def test_connect_refused
    dir = Dir.mktmpdir
    path = File.join(dir, "gone.sock")
    UNIXServer.new(path).close
    assert_raises(Errno::ECONNREFUSED) { UNIXSocket.new(path) }
  ensure
    FileUtils.rm_rf(dir)
  end

  def test_half_close_both_ways
    a, b = Socket.pair(:UNIX, :STREAM)
    a.write("to b")
    a.close_write
    assert_equal "to b", b.read
    b.write("to a")
    b.close_write
    assert_equal "to a", a.read
    [a, b].each(&:close)
  end

  def test_fork_with_open_sockets
    a, b = Socket.pair(:UNIX, :STREAM)
    pid = fork do
      b.close
      a.send("from child", 0)
      a.close
      exit!(0)
    end
    a.close
    assert_equal "from child", b.recv(100)
    _, st = Process.wait2(pid)
    assert st.success?
    c, d = Socket.pair(:UNIX, :STREAM)
    c.send("parent ok", 0)
    assert_equal "parent ok", d.recv(100)
    [b, c, d].each(&:close)
  end

  def test_descriptor_exhaustion_is_emfile_and_recoverable
    r, w = IO.pipe
    pid = fork do
      r.close
      Process.setrlimit(Process::RLIMIT_NOFILE, 64)
      socks = []
      err = nil
      begin
        200.times { socks.concat(Socket.pair(:UNIX, :STREAM)) }
      rescue SystemCallError => e
        err = e.class
      end
      socks.each(&:close)
      x, y = Socket.pair(:UNIX, :STREAM)
      x.send("recovered", 0)
      w.write("#{err} #{y.recv(20)}")
      exit!(0)
    end
    w.close
    out = r.read
    Process.wait(pid)
    assert_equal "Errno::EMFILE recovered", out
    report "fd exhaustion: Errno::EMFILE at the limit, sockets work again after closing"
  end
end

# frozen_string_literal: true

require "test_helper"

# sendmsg/recvmsg with control messages over UNIX socketpairs: descriptor
# passing, truncation flags, buffer growth, and no descriptor leaks.
class AncillaryDataTest < Minitest::Test
  A = Socket::AncillaryData

  def pair(type = :STREAM)
    UNIXSocket.pair(type)
  end

  def test_roundtrip_without_controls
    a, b = pair
    assert_equal 5, b.sendmsg("hello")
    mesg, _sender, rflags, *controls = a.recvmsg
    assert_equal "hello", mesg
    assert_equal Encoding::BINARY, mesg.encoding
    assert_equal 0, rflags & (Socket::MSG_TRUNC | Socket::MSG_CTRUNC)
    assert_empty controls
  ensure
    a&.close
    b&.close
  end

  def test_several_fds_in_one_message_as_ios
    a, b = pair
    r1, w1 = IO.pipe
    r2, w2 = IO.pipe
    c, d = UNIXSocket.pair
    b.sendmsg("fds", 0, nil, A.unix_rights(w1, w2, c))
    mesg, _, _, ctl = a.recvmsg(scm_rights: true)
    assert_equal "fds", mesg
    assert ctl.cmsg_is?(:SOCKET, :RIGHTS)
    ios = ctl.unix_rights
    assert ios.frozen?
    assert_equal [IO, IO, Socket], ios.map(&:class)
    assert ios.all?(&:close_on_exec?)
    ios[0].write("one")
    ios[1].write("two")
    [w1, w2, ios[0], ios[1]].each(&:close)
    assert_equal ["one", "two"], [r1.read, r2.read]
    ios[2].write("three")
    assert_equal "three", d.readpartial(10)
    ios[2].close
  ensure
    [a, b, r1, r2, c, d].each { |io| io&.close }
  end

  def test_controls_as_arrays_and_objects
    a, b = pair(:DGRAM)
    r, w = IO.pipe
    b.sendmsg("x", 0, nil, [:SOCKET, :RIGHTS, [w.fileno].pack("i")])
    _, _, _, ctl = a.recvmsg(nil, 0, nil, scm_rights: true)
    got = ctl.unix_rights.first
    got.write("via array")
    got.close
    w.close
    assert_equal "via array", r.read
  ensure
    [a, b, r].each { |io| io&.close }
  end

  def test_received_fds_closed_when_not_requested
    a, b = pair
    r, w = IO.pipe
    assert_no_fd_leak do
      3.times do
        b.sendmsg("x", 0, nil, A.unix_rights(r, w, r))
        _, _, _, ctl = a.recvmsg
        assert_nil ctl.unix_rights
        assert_equal 3, ctl.data.bytesize / 4
      end
    end
  ensure
    [a, b, r, w].each { |io| io&.close }
  end

  def test_truncated_data_sets_msg_trunc
    a, b = pair(:DGRAM)
    b.sendmsg("abcdefgh")
    mesg, _, rflags = a.recvmsg(3)
    assert_equal "abc", mesg
    assert_equal Socket::MSG_TRUNC, rflags & Socket::MSG_TRUNC
  ensure
    a&.close
    b&.close
  end

  def test_nil_lengths_grow_the_buffers
    a, b = pair(:DGRAM)
    big = "z" * 10_000
    b.sendmsg(big)
    mesg, _, rflags = a.recvmsg
    assert_equal big, mesg
    assert_equal 0, rflags & Socket::MSG_TRUNC
  ensure
    a&.close
    b&.close
  end

  def test_truncated_control_sets_msg_ctrunc_without_leaks
    skip_under_qemu("MSG_CTRUNC is not reported for a truncated SCM_RIGHTS message")
    a, b = pair(:DGRAM)
    r, w = IO.pipe
    assert_no_fd_leak do
      b.sendmsg("x", 0, nil, A.unix_rights(r, w, r, w))
      # Room for one descriptor only: the kernel closes the others.
      _, _, rflags, *ctl = a.recvmsg(10, 0, Socket::AncillaryData.int(:UNIX, :SOCKET, :RIGHTS, 0).data.bytesize + 16)
      assert_equal Socket::MSG_CTRUNC, rflags & Socket::MSG_CTRUNC
      assert_operator ctl.size, :<=, 1
      b.sendmsg("y", 0, nil, A.unix_rights(r, w))
      _, _, rflags, *ctl = a.recvmsg(10, 0, 0)
      assert_equal Socket::MSG_CTRUNC, rflags & Socket::MSG_CTRUNC
      assert_empty ctl
    end
  ensure
    [a, b, r, w].each { |io| io&.close }
  end

  def test_truncated_control_with_scm_rights
    skip_under_qemu("MSG_CTRUNC is not reported for a truncated SCM_RIGHTS message")
    a, b = pair(:DGRAM)
    r, w = IO.pipe
    assert_no_fd_leak do
      b.sendmsg("x", 0, nil, A.unix_rights(r, w, r))
      _, _, rflags, ctl = a.recvmsg(10, 0, 24, scm_rights: true)
      assert_equal Socket::MSG_CTRUNC, rflags & Socket::MSG_CTRUNC
      assert_equal 2, ctl.unix_rights.size
      ctl.unix_rights.each(&:close)
    end
  ensure
    [a, b, r, w].each { |io| io&.close }
  end

  def test_peek_leaves_message_and_closes_peeked_fds
    a, b = pair
    r, w = IO.pipe
    assert_no_fd_leak do
      b.sendmsg("p", 0, nil, A.unix_rights(r))
      mesg, = a.recvmsg(10, Socket::MSG_PEEK)
      assert_equal "p", mesg
      mesg, _, _, ctl = a.recvmsg(10, 0, 100, scm_rights: true)
      assert_equal "p", mesg
      ctl.unix_rights.each(&:close)
    end
  ensure
    [a, b, r, w].each { |io| io&.close }
  end

  def test_nonblock_forms
    a, b = pair(:DGRAM)
    assert_equal :wait_readable, a.recvmsg_nonblock(exception: false)
    assert_raises(IO::EAGAINWaitReadable) { a.recvmsg_nonblock }
    b.sendmsg_nonblock("nb")
    assert_equal "nb", a.recvmsg_nonblock.first
    b.setsockopt(:SOCKET, :SNDBUF, 4096) if b.respond_to?(:setsockopt)
    result = nil
    1000.times do
      result = b.sendmsg_nonblock("x" * 1000, exception: false)
      break if result == :wait_writable
    end
    assert_equal :wait_writable, result
    assert_raises(IO::EAGAINWaitWritable) { b.sendmsg_nonblock("x" * 1000) }
  ensure
    a&.close
    b&.close
  end

  def test_blocking_recvmsg_wakes_on_data_and_interrupt
    a, b = pair
    th = Thread.new { a.recvmsg }
    sleep 0.05 until th.status == "sleep"
    b.sendmsg("late")
    assert_equal "late", th.value.first
    th, secs = time_to_interrupt(->(t) { t.kill }) { a.recvmsg }
    refute th.alive?
    assert_operator secs, :<, 1
  ensure
    a&.close
    b&.close
  end

  def test_send_io_recv_io
    a, b = pair
    r, w = IO.pipe
    assert_nil b.send_io(w)
    io = a.recv_io
    assert_instance_of IO, io
    assert io.close_on_exec?
    io.write("through")
    io.close
    w.close
    assert_equal "through", r.read
    b.send_io(r.fileno)
    fd = a.recv_io(nil)
    assert_kind_of Integer, fd
    IO.for_fd(fd).close
    b.send_io(r)
    assert_instance_of File, a.recv_io(File, "r")
  ensure
    [a, b, r].each { |x| x&.close }
  end

  def test_recv_io_rejects_two_fds_without_leaking
    a, b = pair(:DGRAM)
    r, w = IO.pipe
    assert_no_fd_leak do
      b.sendmsg("x", 0, nil, A.unix_rights(r, w))
      e = assert_raises(SocketError) { a.recv_io }
      assert_match(/file descriptor was not passed \(cmsg_len=24, 20 expected\)/, e.message)
    end
  ensure
    [a, b, r, w].each { |x| x&.close }
  end

  def test_fuzzed_controls_do_not_crash
    a, b = pair(:DGRAM)
    rng = Random.new(42)
    assert_no_fd_leak do
      200.times do
        data = rng.bytes(rng.rand(0..40))
        level, type = [[:SOCKET, 99], [0, 1], [:SOCKET, :CREDENTIALS]].sample(random: rng)
        begin
          b.sendmsg("f", 0, nil, [level, type, data])
        rescue SystemCallError
          next
        end
        a.recvmsg(rng.rand(0..4), 0, rng.rand(0..64))
      end
    end
  ensure
    a&.close
    b&.close
  end

  # Received descriptors stay owned by live IOs while recvmsg allocates the
  # rest of its answer, under GC.stress, with several control messages (the
  # credentials SO_PASSCRED adds and two SCM_RIGHTS).
  def test_recvmsg_rights_survive_gc_stress
    a, b = pair(:DGRAM)
    a.setsockopt(:SOCKET, :PASSCRED, true)
    pipes = Array.new(3) { IO.pipe }
    b.sendmsg("x", 0, nil, Socket::AncillaryData.unix_rights(pipes[0][0], pipes[1][0]),
              Socket::AncillaryData.unix_rights(pipes[2][0]))
    begin
      GC.stress = true
      msg = a.recvmsg(10, 0, 256, scm_rights: true)
    ensure
      GC.stress = false
    end
    ios = msg[3..].select { |c| c.cmsg_is?(:SOCKET, :RIGHTS) }.flat_map(&:unix_rights)
    assert_equal 3, ios.size
    assert(msg[3..].any? { |c| c.cmsg_is?(:SOCKET, :CREDENTIALS) })
    pipes.each_with_index { |(_, w), i| w.write("p#{i}") }
    assert_equal %w[p0 p1 p2], ios.map { |io| io.read_nonblock(2) }
  ensure
    ios&.each(&:close)
    pipes&.flatten&.each(&:close)
    a&.close
    b&.close
  end
end

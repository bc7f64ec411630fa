# frozen_string_literal: true

require_relative "differential_helper"

# Socket against the stock extension: Socket.new's argument table, connect
# and bind (errors and messages), the listen/accept flow, *_nonblock.
# (accept, recvfrom, local_address ... with Addrinfo results are in
# socket_addrinfo_test.rb.)
class SocketDifferentialTest < Minitest::Test
  include Differential::Sockaddrs

  SOCKADDRS = [
    'sin(1)', 'sin(0)', 'sin(1, [0, 0, 0, 0])', 'sin6(1)', 'sin6(0)', 'sin6(1, [0] * 16)',
    'sin6(1, [0] * 10 + [255, 255, 127, 0, 0, 1])', 'sun("/nonexistent/x")', 'sun("relative")',
    'sun("a b")', 'sun("\0abstract-nope")', 'sun("")', 'sun("/nonexistent/\xff\x01")',
    '"\x01\x00"', '""', '"\x01"', '"\x00\x00"', '"\x02\x00"', '"\x02\x00\x00\x01\x7f\x00"',
    'sin(1) + "\0"', '"\x0a\x00\x00\x01" + "\0" * 20', 'sin6(1) + "\0\0"', '"\x63\x00\x00\x00"',
    '"\x10\x00abc"', '"\x11\x00\x08\x00"', '"\x11\x00" + "\0" * 18',
    '"\x11\x00\x08\x00\x01\x00\x00\x00\x01\x00\x00\x06\x00\x11\x22\x33\x44\x55\x66\x00\x00"',
    'nil', '5', ':sym', 'Object.new'
  ].freeze

  ARGS = [":INET", "'INET'", ":AF_INET", ":PF_INET", "'PF_INET6'", "Socket::AF_UNIX", ":inet",
          ":FOO", "'AF_'", "nil", "1.5", "2**40", "-1", "9999", "'INET\\0X'", "Object.new",
          "[]", ":SOCK_STREAM", "''"].freeze
  TYPES = [":STREAM", "'DGRAM'", ":SOCK_SEQPACKET", "Socket::SOCK_RAW", ":FOO", "nil", "2**40", "0",
           "'stream'"].freeze

  def test_socket_new_argument_table
    code = +""
    ARGS.each do |d|
      TYPES.each do |t|
        code << "show(%q{#{d},#{t}}) { s = Socket.new(#{d}, #{t}); s.class.tap { s.close } }\n"
      end
    end
    ["0", "nil", "9999", ":TCP", "'6'", "6", "-1"].each do |pr|
      code << "show(%q{proto #{pr}}) { s = Socket.new(:INET, :STREAM, #{pr}); s.class.tap { s.close } }\n"
    end
    code << "show('arity0') { Socket.new }\nshow('arity4') { Socket.new(1, 2, 3, 4) }\n"
    assert_same_as_stock(code)
  end

  def test_connect_and_bind_error_messages
    code = +""
    SOCKADDRS.each do |sa|
      %w[INET INET6 UNIX].each do |fam|
        code << "show(%q{#{fam} connect #{sa}}) { Socket.new(:#{fam}, :STREAM).connect(#{sa}) }\n"
        code << "show(%q{#{fam} dgram connect #{sa}}) { Socket.new(:#{fam}, :DGRAM).connect(#{sa}) }\n"
        # Port 0 only: binding a fixed port could collide with other users.
        bsa = sa.gsub("sin(1", "sin(0").gsub("sin6(1", "sin6(0")
        code << "show(%q{#{fam} bind #{bsa}}) { x = Socket.new(:#{fam}, :STREAM); begin; x.bind(#{bsa}); ensure x.close; end }\n"
      end
    end
    same(code)
  end

  def test_bind_listen_connect_flow
    same(<<~'RUBY')
      s = Socket.new(:INET, :STREAM)
      show { s.bind(sin(0)) }
      show { s.bind(sin(0)) }
      show { s.listen(5) }
      show { s.listen(0) }
      show { s.listen(-1) }
      show { s.listen }
      show { s.listen(nil) }
      show { s.listen("5") }
      show { s.listen(2**40) }
      show { s.listen(1, 2) }
      c = Socket.new(:INET, :STREAM)
      show { c.connect(s.getsockname) }
      show { c.connect(s.getsockname) }
      show { c.getpeername == s.getsockname }
      show { c.getsockname.bytesize }
      show { Socket.new(:INET, :STREAM).connect(s.getsockname.unpack("Sn").pack("Sn") + "\0" * 12) }
      d = Socket.new(:INET, :DGRAM)
      show { d.connect(s.getsockname) }
      show { d.connect("\0\0" + "\0" * 14) }
      show { Socket.new(:UNIX, :STREAM).listen(1) }
      show { Socket.new(:UNIX, :DGRAM).listen(1) }
      u = Socket.new(:INET, :DGRAM)
      show { u.listen(1) }
      s6 = tcp_server(:INET6)
      c6 = Socket.new(:INET6, :STREAM)
      show { c6.connect(s6.getsockname) }
      [s, c, d, u, s6, c6].each(&:close)
      show { s.bind(sin(0)) }
      show { s.listen(1) }
      show { s.connect(sin(1)) }
      show { s.connect(5) }
    RUBY
  end

  def test_nonblock_methods
    same(<<~'RUBY')
      s = tcp_server
      show { s.accept_nonblock }
      show { s.accept_nonblock(exception: false) }
      show { s.accept_nonblock(exception: nil) }
      show { s.accept_nonblock(exception: true) }
      show { s.accept_nonblock(foo: 1) }
      show { s.accept_nonblock(1) }
      show { Socket.new(:INET, :STREAM).accept_nonblock }
      show { Socket.new(:INET, :STREAM).accept_nonblock(exception: false) }
      show { Socket.new(:UNIX, :DGRAM).accept_nonblock }
      c = Socket.new(:INET, :STREAM)
      show { c.connect_nonblock(s.getsockname) }
      show { c.connect_nonblock(s.getsockname) }
      show { c.connect_nonblock(s.getsockname, exception: false) }
      c2 = Socket.new(:INET, :STREAM)
      show { c2.connect_nonblock(s.getsockname, exception: false) }
      show { IO.select(nil, [c2], nil, 5) && c2.connect_nonblock(s.getsockname, exception: false) }
      show { Socket.new(:INET, :STREAM).connect_nonblock(sin(1)) rescue IO.select(nil, [$!], nil, 0); :x }
      show { Socket.new(:INET, :STREAM).connect_nonblock(5) }
      show { Socket.new(:INET, :STREAM).connect_nonblock }
      show { Socket.new(:INET, :STREAM).connect_nonblock(sin(1), foo: 2) }
      show { Socket.new(:INET, :STREAM).connect_nonblock("") }
      show { Socket.new(:INET, :STREAM).connect_nonblock("", exception: false) }
      e = (c.connect_nonblock(sin(1)) rescue $!)
      show { [e.class, e.is_a?(IO::WaitWritable), e.message] }
      f = Socket.new(:INET, :STREAM)
      e = (f.connect_nonblock(s.getsockname) rescue $!)
      show { [e.class, e.is_a?(IO::WaitWritable), e.is_a?(Errno::EINPROGRESS), e.message] }
      e = (tcp_server.accept_nonblock rescue $!)
      show { [e.class, e.is_a?(IO::WaitReadable), e.is_a?(Errno::EAGAIN), e.message] }
    RUBY
  end
end

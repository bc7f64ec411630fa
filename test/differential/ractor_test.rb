# frozen_string_literal: true

require_relative "differential_helper"

# Sockets inside non-main Ractors, as stock's extension allows (it declares
# itself Ractor-safe): every class's main paths, run in a Ractor under stock
# and under socket_rs, outputs compared; then several Ractors doing socket
# work at once. Ruby 4.0 also makes an Addrinfo shareable, which socket_rs
# offers on every Ruby (stock 3.4 fails there: that line is left out
# before 4.0).
class RactorDifferentialTest < Minitest::Test
  PRELUDE = <<~'RUBY'
    Warning[:experimental] = false
    # The Ractor's value: Ractor#value from 4.0, #take before.
    def in_ractor(label, &blk)
      r = Ractor.new(label, &blk)
      v = r.respond_to?(:value) ? r.value : r.take
      puts "#{label} => #{v.inspect}"
    rescue Exception => e # rubocop:disable Lint/RescueException
      e = e.cause if e.cause && e.class.name.start_with?("Ractor::")
      puts "#{label} !! #{e.class}: #{e.message}"
    end
  RUBY

  def normalize(out)
    out.gsub(/\b\d{4,5}\b/, "PORT").gsub(/fd \d+/, "fd N")
  end

  def test_every_class_in_a_non_main_ractor
    code = PRELUDE + <<~'RUBY'
      in_ractor("UNIXSocket.pair") { |_| a, b = UNIXSocket.pair; a.write("hi"); [b.read(2), a.class, b.peeraddr] }
      in_ractor("Socket.pair") { |_| a, b = Socket.pair(:UNIX, :DGRAM); a.send("x", 0); b.recvmsg.first(1) }
      in_ractor("Addrinfo") { |_| ai = Addrinfo.tcp("127.0.0.1", 80); [ai.inspect, ai.ip_unpack, ai.to_sockaddr.size, Marshal.load(Marshal.dump(ai)).inspect] }
      in_ractor("Addrinfo.getaddrinfo") { |_| Addrinfo.getaddrinfo("localhost", 80, :INET, :STREAM).map(&:inspect) }
      in_ractor("Socket.getaddrinfo") { |_| Socket.getaddrinfo("127.0.0.1", 80, nil, :STREAM) }
      in_ractor("TCPServer/TCPSocket") do |_|
        s = TCPServer.new("127.0.0.1", 0)
        c = TCPSocket.new("127.0.0.1", s.addr[1])
        a = s.accept
        c.write("ping")
        [a.read(4), c.remote_address.ip_address, a.class]
      end
      in_ractor("TCPSocket localhost") { |_| s = TCPServer.new("127.0.0.1", 0); TCPSocket.open("localhost", s.addr[1]) { |c| c.remote_address.ip_address } }
      in_ractor("Socket.tcp") { |_| s = TCPServer.new("127.0.0.1", 0); Socket.tcp("localhost", s.addr[1]) { |c| c.remote_address.ip_address } }
      in_ractor("refused") { |_| begin; TCPSocket.new("127.0.0.1", 1); rescue SystemCallError => e; [e.class, e.message]; end }
      in_ractor("UDPSocket") { |_| u = UDPSocket.new; u.bind("127.0.0.1", 0); u.send("x", 0, "127.0.0.1", u.addr[1]); u.recvfrom(1)[0] }
      in_ractor("Socket::Option") { |_| [Socket::Option.bool(:INET, :SOCKET, :KEEPALIVE, true).inspect, Socket::Option.int(:INET, :SOCKET, :RCVBUF, 9).int] }
      in_ractor("AncillaryData") { |_| Socket::AncillaryData.int(:UNIX, :SOCKET, :RIGHTS, 1).inspect }
      in_ractor("setsockopt") { |_| a, = UNIXSocket.pair; a.setsockopt(:SOCKET, :RCVBUF, 65536); a.getsockopt(:SOCKET, :TYPE).int }
      in_ractor("Socket.gethostname") { |_| Socket.gethostname.class }
      in_ractor("Socket.ip_address_list") { |_| Socket.ip_address_list.map(&:ip_address).include?("127.0.0.1") }
      in_ractor("Socket.getifaddrs") { |_| Socket.getifaddrs.map(&:name).include?("lo") }
      in_ractor("sockaddr_in") { |_| Socket.unpack_sockaddr_in(Socket.sockaddr_in(80, "127.0.0.1")) }
      in_ractor("tcp_server_sockets") { |_| Socket.tcp_server_sockets("127.0.0.1", 0) { |ss| ss.map { |s| s.local_address.ip_address } } }
      in_ractor("unix_server_socket") { |_| Socket.unix_server_socket("\0socket_rs_ractor_#{$$}") { |s| s.class } }
      in_ractor("SocketError") { |_| begin; Socket.getaddrinfo("a\nb", nil); rescue SocketError => e; e.class.ancestors.include?(SocketError); end }
      in_ractor("shareable") { |_| RUBY_VERSION >= "4.0" ? Ractor.make_shareable(Addrinfo.tcp("127.0.0.1", 80)).inspect : :skipped }
    RUBY
    assert_same_as_stock(code, normalize: method(:normalize))
  end

  # Socket work in four Ractors at once: each echoes over its own pair and
  # connects over TCP; all must finish with the right bytes.
  def test_several_ractors_at_once
    code = PRELUDE + <<~'RUBY'
      rs = 4.times.map do |i|
        Ractor.new(i) do |n|
          100.times.map do |k|
            a, b = UNIXSocket.pair
            a.write("#{n}:#{k}")
            got = b.readpartial(16)
            [a, b].each(&:close)
            s = TCPServer.new("127.0.0.1", 0)
            c = TCPSocket.new("127.0.0.1", s.addr[1])
            s.accept.close
            [c, s].each(&:close)
            got
          end.last
        end
      end
      p rs.map { |r| r.respond_to?(:value) ? r.value : r.take }
    RUBY
    assert_same_as_stock(code)
  end
end

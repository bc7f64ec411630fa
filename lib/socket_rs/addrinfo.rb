# frozen_string_literal: true

require "rbconfig"

# The pure-Ruby part of Addrinfo: sockets made from an address.
class Addrinfo
  # Yields each Addrinfo of Addrinfo.getaddrinfo; returns the array.
  def self.foreach(nodename, service, family = nil, socktype = nil, protocol = nil, flags = nil, timeout: nil, &block)
    Addrinfo.getaddrinfo(nodename, service, family, socktype, protocol, flags, timeout: timeout).each(&block)
  end

  # A Socket connected to this address; with a block, yields it and closes it.
  def connect(timeout: nil, &block)
    SocketRs.with_socket(SocketRs.connect_addrinfo(self, nil, timeout), &block)
  end

  # As #connect, bound first to the local address given (an Addrinfo or the
  # arguments of Addrinfo.getaddrinfo).
  def connect_from(*local_addr_args, timeout: nil, &block)
    local = SocketRs.family_addrinfo_of(self, local_addr_args)
    SocketRs.with_socket(SocketRs.connect_addrinfo(self, local, timeout), &block)
  end

  # A Socket bound to this address, connected to the remote address given.
  def connect_to(*remote_addr_args, timeout: nil, &block)
    remote = SocketRs.family_addrinfo_of(self, remote_addr_args)
    SocketRs.with_socket(SocketRs.connect_addrinfo(remote, self, timeout), &block)
  end

  # A Socket bound to this address (SO_REUSEADDR on for stream sockets).
  def bind
    sock = SocketRs.socket_for(self) do |s|
      s.setsockopt(:SOCKET, :REUSEADDR, 1) if socktype == Socket::SOCK_STREAM
      s.bind(self)
    end
    SocketRs.with_socket(sock) { |s| return yield(s) } if block_given?
    sock
  end

  # A listening Socket bound to this address.
  def listen(backlog = Socket::SOMAXCONN)
    sock = SocketRs.socket_for(self) do |s|
      s.setsockopt(:SOCKET, :REUSEADDR, 1)
      s.bind(self)
      s.listen(backlog)
    end
    SocketRs.with_socket(sock) { |s| return yield(s) } if block_given?
    sock
  end

  # An Addrinfo of this one's family, from an Addrinfo or getaddrinfo arguments
  # (a host and port for IP, a path for UNIX).
  def family_addrinfo(*args)
    raise ArgumentError, "no address specified" if args.empty?

    if args[0].is_a?(Addrinfo)
      # As stock's lib/socket.rb: exact pfamily and socktype, protocol not compared.
      raise ArgumentError, "too many arguments" if args.length != 1

      ai = args[0]
      raise ArgumentError, "Addrinfo type mismatch" if ai.pfamily != pfamily || ai.socktype != socktype

      return ai
    end
    if ip?
      raise ArgumentError, "IP address needs host and port but #{args.length} arguments given" if args.length != 2

      host, port = args
      Addrinfo.getaddrinfo(host, port, afamily, socktype, protocol)[0]
    elsif unix?
      raise ArgumentError, "UNIX socket needs single path argument but #{args.length} arguments given" if args.length != 1

      Addrinfo.unix(args[0]) # stock drops the socktype here too
    else
      raise ArgumentError, "unexpected family"
    end
  end
end

module SocketRs
  module_function

  def family_addrinfo_of(addrinfo, args)
    args.size == 1 && args[0].is_a?(Addrinfo) ? addrinfo.family_addrinfo(args[0]) : addrinfo.family_addrinfo(*args)
  end

  # Yields the socket and closes it when a block is given; else returns it.
  def with_socket(sock)
    return sock unless block_given?

    begin
      yield sock
    ensure
      sock.close unless sock.closed?
    end
  end

  # Whether stock Addrinfo#connect names the address when its timeout
  # passes: from Ruby 4.0, and on 3.4 from a patch release after 3.4.9
  # (3.4.11 does, 3.4.5 does not), so there it is read off the running
  # Ruby's own lib/socket.rb.
  CONNECT_TIMEOUT_NAMES_PLACE = TIMEOUTS_NAME_PLACE || (RUBY_VERSION.start_with?("3.4.") && begin
    File.read(File.join(RbConfig::CONFIG["rubylibdir"], "socket.rb"))
        .include?('"user specified timeout for #{self.ip_address}:#{self.ip_port}"')
  rescue SystemCallError
    Gem::Version.new(RUBY_VERSION) >= Gem::Version.new("3.4.11")
  end)

  # A Socket connected to `remote`, bound to `local` first when given; with a
  # timeout, Errno::ETIMEDOUT "user specified timeout" when it passes
  # ("user specified timeout for 127.0.0.1:80" where CONNECT_TIMEOUT_NAMES_PLACE).
  def connect_addrinfo(remote, local, timeout)
    socket_for(remote) do |sock|
      sock.bind(local) if local
      if timeout
        connect_within(sock, remote, timeout)
      else
        sock.connect(remote)
      end
    end
  end

  # A Socket of `ai`'s family, type and protocol (IPV6_V6ONLY for IPv6, as
  # stock), set up by the block; closed if the block raises, whatever it
  # raises.
  def socket_for(ai)
    sock = Socket.new(ai.pfamily, ai.socktype, ai.protocol)
    begin
      sock.ipv6only! if ai.ipv6?
      yield sock
    rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
      sock.close
      raise
    end
    sock
  end

  # As stock 4.0 words it: the address unbracketed, "::1:80".
  def connect_timeout_message(remote)
    return "user specified timeout" unless CONNECT_TIMEOUT_NAMES_PLACE

    "user specified timeout for #{remote.ip_address}:#{remote.ip_port}"
  end

  def connect_within(sock, remote, timeout)
    loop do
      case sock.connect_nonblock(remote, exception: false)
      when :wait_writable
        raise Errno::ETIMEDOUT, connect_timeout_message(remote) unless sock.wait_writable(timeout)
      else
        return
      end
    end
  end
end

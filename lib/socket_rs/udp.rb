# frozen_string_literal: true

# UDP server helpers of Socket, and Socket::UDPSource.
class Socket
  # Where a datagram came from and arrived at, with a way to answer it.
  class UDPSource
    attr_reader :remote_address, :local_address

    def initialize(remote_address, local_address, &reply_proc)
      @remote_address = remote_address
      @local_address = local_address
      @reply_proc = reply_proc
    end

    def inspect
      "#<#{self.class}: #{@remote_address.inspect_sockaddr} to #{@local_address.inspect_sockaddr}>"
    end

    # Sends msg back to the remote address, from the local address.
    def reply(msg)
      @reply_proc.call(msg)
    end
  end

  # UDP sockets for a server on host and port. A wildcard IPv4 address is
  # replaced by each local IPv4 address, so replies leave from the address
  # the request came to; the IPv6 wildcard is kept and asks the kernel for
  # the destination of each datagram (IPV6_RECVPKTINFO) instead. Port 0 gives
  # all of them one dynamically chosen port. With a block, yields the sockets
  # and closes them afterwards.
  def self.udp_server_sockets(host = nil, port, &block)
    pktinfo = SocketRs.ipv6_recvpktinfo
    addrinfos = SocketRs.udp_server_addresses(host, port, pktinfo).map { |ai| Addrinfo.udp(ai.ip_address, port) }
    sockets = port == 0 ? SocketRs.ip_sockets_port0(addrinfos, false) : SocketRs.bind_each(addrinfos, &:bind)
    sockets.each do |s|
      local = s.local_address
      s.setsockopt(:IPV6, pktinfo, 1) if pktinfo && local.ipv6? && local.ip_address == "::"
    end
    SocketRs.with_sockets(sockets, &block)
  end

  # Receives what is waiting on the sockets (without blocking) and yields
  # each message with its Socket::UDPSource.
  def self.udp_server_recv(sockets)
    sockets.each do |sock|
      msg, sender, _flags, *controls = sock.recvmsg_nonblock(exception: false)
      next if msg == :wait_readable

      local = sock.local_address
      pktinfo = local.ipv6? && controls.find { |c| c.cmsg_is?(:IPV6, :PKTINFO) }
      if pktinfo
        local = Addrinfo.udp(pktinfo.ipv6_pktinfo_addr.ip_address, local.ip_port)
        yield msg, UDPSource.new(sender, local) { |reply| sock.sendmsg(reply, 0, sender, pktinfo) }
      else
        yield msg, UDPSource.new(sender, local) { |reply| sock.send(reply, 0, sender) }
      end
    end
  end

  # Serves the sockets forever: each datagram is yielded as by udp_server_recv.
  def self.udp_server_loop_on(sockets, &block)
    loop do
      readable, = IO.select(sockets)
      udp_server_recv(readable, &block)
    end
  end

  # A UDP server on host and port: each datagram is yielded with its source.
  def self.udp_server_loop(host = nil, port, &block)
    udp_server_sockets(host, port) { |sockets| udp_server_loop_on(sockets, &block) }
  end
end

module SocketRs
  module_function

  # The option that makes an IPv6 socket report each datagram's destination.
  def ipv6_recvpktinfo
    return nil unless defined?(Socket::AncillaryData)

    if defined?(Socket::IPV6_RECVPKTINFO)
      Socket::IPV6_RECVPKTINFO
    elsif defined?(Socket::IPV6_PKTINFO)
      Socket::IPV6_PKTINFO
    end
  end

  def udp_server_addresses(host, port, pktinfo)
    local = nil
    list = Addrinfo.getaddrinfo(host, port, nil, :DGRAM, nil, Socket::AI_PASSIVE).flat_map do |ai|
      wildcard4 = ai.ipv4? && ai.ip_address == "0.0.0.0"
      wildcard6 = ai.ipv6? && ai.ip_address == "::" && !pktinfo
      if wildcard4 || wildcard6
        local ||= Socket.ip_address_list
        local.select { |a| wildcard4 ? a.ipv4? : a.ipv6? }
             .map { |a| Addrinfo.new(a.to_sockaddr, a.afamily, :DGRAM, 0) }
      else
        [ai]
      end
    end
    list.uniq(&:to_sockaddr)
  end
end

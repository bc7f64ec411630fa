# frozen_string_literal: true

# Server helpers of Socket: listening sockets for every address of a host,
# accept loops, and UNIX server sockets.
class Socket
  # Listening sockets for every address of host and port (IPv6 and IPv4
  # for a nil host). Port 0 gives all of them one dynamically chosen port.
  # With a block, yields the sockets and closes them afterwards.
  def self.tcp_server_sockets(host = nil, port, &block)
    addrinfos = Addrinfo.getaddrinfo(host, port, nil, :STREAM, nil, Socket::AI_PASSIVE)
    sockets = if port == 0
                SocketRs.listen_each(SocketRs.ip_sockets_port0(addrinfos, true))
              else
                SocketRs.bind_each(addrinfos, &:listen)
              end
    SocketRs.with_sockets(sockets, &block)
  end

  # Accepts connections on the sockets forever, yielding each accepted
  # socket and its client address in turn (the caller closes the socket).
  def self.accept_loop(*sockets)
    sockets = sockets.flatten(1)
    raise ArgumentError, "no sockets" if sockets.empty?

    loop do
      IO.select(sockets)[0].each do |server|
        conn, client = server.accept_nonblock(exception: false)
        yield conn, client unless conn == :wait_readable
      end
    end
  end

  # A TCP server on host and port whose connections are yielded in turn.
  def self.tcp_server_loop(host = nil, port, &block)
    tcp_server_sockets(host, port) { |sockets| accept_loop(sockets, &block) }
  end

  # A Socket connected to the UNIX socket at path; with a block, yields it
  # and closes it afterwards.
  def self.unix(path, &block)
    Addrinfo.unix(path).connect(&block)
  end

  # A listening UNIX socket on path. A stale socket file left there is
  # removed first, but only a socket owned by this user; an abstract name
  # ("\0name") has no file. With a block, yields the socket, then closes it
  # and removes its file.
  def self.unix_server_socket(path)
    SocketRs.remove_stale_unix_socket(path)
    sock = Addrinfo.unix(path).listen
    return sock unless block_given?

    begin
      yield sock
    ensure
      sock.close
      SocketRs.remove_unix_socket_file(path)
    end
  end

  # A UNIX server on path whose connections are yielded in turn.
  def self.unix_server_loop(path, &block)
    unix_server_socket(path) { |server| accept_loop(server, &block) }
  end
end

module SocketRs
  module_function

  # Yields the sockets and closes them all afterwards when a block is given.
  def with_sockets(sockets)
    return sockets unless block_given?

    begin
      yield sockets
    ensure
      sockets.each { |s| s.close unless s.closed? }
    end
  end

  PORT0_TRIES = 8

  # Listens on each socket; closes them all if one fails.
  def listen_each(sockets)
    sockets.each { |s| s.listen(Socket::SOMAXCONN) }
  rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
    sockets.each(&:close)
    raise
  end

  # One socket per address, made by the block (Addrinfo#listen or #bind);
  # at least one must work, else the last error is raised.
  def bind_each(addrinfos)
    sockets = []
    last_error = nil
    addrinfos.each do |ai|
      sockets << yield(ai)
    rescue SystemCallError => e
      last_error = e
    end
    raise last_error if sockets.empty? && last_error

    sockets
  rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
    sockets&.each(&:close)
    raise
  end

  # stock's Socket.ip_sockets_port0: one socket per address (an address
  # family the host cannot open is skipped), the first bound to port 0 and
  # the others to the port it got. EADDRINUSE there starts over with a new
  # port (PORT0_TRIES times; stock retries forever); any other error, such
  # as ::1 on a host with IPv6 disabled, is raised.
  def ip_sockets_port0(addrinfos, reuseaddr)
    PORT0_TRIES.times do |attempt|
      sockets = bind_port0(addrinfos, reuseaddr)
      return sockets if sockets
      raise Errno::EADDRINUSE, "no port free on every address" if attempt == PORT0_TRIES - 1
    end
  end

  # nil when a later address could not get the first one's port.
  def bind_port0(addrinfos, reuseaddr)
    sockets = []
    port = nil
    addrinfos.each do |ai|
      begin
        sock = Socket.new(ai.pfamily, ai.socktype, ai.protocol)
      rescue SystemCallError
        next
      end
      sockets << sock
      sock.ipv6only! if ai.ipv6?
      sock.setsockopt(:SOCKET, :REUSEADDR, 1) if reuseaddr
      if port
        sock.bind(ai.family_addrinfo(ai.ip_address, port))
      else
        sock.bind(ai)
        port = sock.local_address.ip_port
      end
    end
    sockets
  rescue Errno::EADDRINUSE
    sockets.each(&:close)
    nil
  rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
    sockets.each(&:close)
    raise
  end

  # As stock's Socket.unix_socket_abstract_name?: "" (autobind) counts too.
  # Before 4.0 a Regexp match (a path with invalid bytes raises
  # ArgumentError), from 4.0 empty? and start_with?.
  def abstract_unix_name?(path)
    return path.empty? || path.start_with?("\0") if ABSTRACT_NAME_BY_PREFIX

    /\A(\0|\z)/ =~ path
  end

  def remove_stale_unix_socket(path)
    return if abstract_unix_name?(path)

    st = begin
      File.lstat(path)
    rescue Errno::ENOENT
      nil
    end
    File.unlink(path) if st&.socket? && st.owned?
  end

  def remove_unix_socket_file(path)
    return if abstract_unix_name?(path)

    File.unlink(path)
  rescue Errno::ENOENT
    nil
  end
end

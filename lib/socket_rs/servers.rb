# frozen_string_literal: true

# Server helpers of Socket: listening sockets for every address of a host,
# accept loops, and UNIX server sockets.
class Socket
  # Listening sockets for every address of host and port (IPv6 and IPv4
  # for a nil host). Port 0 gives all of them one dynamically chosen port.
  # With a block, yields the sockets and closes them afterwards.
  def self.tcp_server_sockets(host = nil, port, &block)
    addrinfos = Addrinfo.getaddrinfo(host, port, nil, :STREAM, nil, Socket::AI_PASSIVE)
    sockets = SocketRs.listen_all(addrinfos, port == 0) { |ai| ai.listen }
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

  # One socket per address, made by the block; at least one must work, else
  # the last error is raised. With `same_port` (port 0 asked for), the
  # first socket's dynamic port is used for the others; when another
  # address cannot have it, everything is retried with a new port. On any
  # failure every socket made so far is closed.
  def listen_all(addrinfos, same_port, &make)
    return bind_each(addrinfos, &make) unless same_port && addrinfos.size > 1

    PORT0_TRIES.times do |attempt|
      sockets = bind_same_port(addrinfos, &make)
      return sockets if sockets
      raise Errno::EADDRINUSE, "no port free on every address" if attempt == PORT0_TRIES - 1
    end
  end

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

  # nil when a later address could not get the first one's port.
  def bind_same_port(addrinfos)
    sockets = []
    port = nil
    last_error = nil
    addrinfos.each do |ai|
      ai = ai.family_addrinfo(ai.ip_address, port) if port
      begin
        sock = yield(ai)
      rescue Errno::EADDRINUSE
        sockets.each(&:close)
        return nil
      rescue SystemCallError => e
        last_error = e
        next
      end
      sockets << sock
      port ||= sock.local_address.ip_port
    end
    raise last_error if sockets.empty? && last_error

    sockets
  rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
    sockets&.each(&:close)
    raise
  end

  # As stock's Socket.unix_socket_abstract_name?: "" (autobind) counts too,
  # and a path with invalid bytes raises ArgumentError from the match.
  def abstract_unix_name?(path)
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

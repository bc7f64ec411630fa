# frozen_string_literal: true

module SocketRs
  # Connection establishment for a host name that may resolve to several
  # addresses, as RFC 8305 (Happy Eyeballs Version 2) describes it and Ruby 3.4
  # does it for Socket.tcp and TCPSocket.new:
  #
  # - names are resolved on a thread while the caller waits, interruptibly;
  #   when the answers of the two families arrive apart (an injected
  #   per-family resolver), IPv4 answering first gives IPv6
  #   RESOLUTION_DELAY more to answer;
  # - addresses are tried alternating families, IPv6 first; a new attempt
  #   starts when the previous one has not finished within
  #   CONNECTION_ATTEMPT_DELAY, earlier attempts keep running;
  # - the first connection to complete wins; the others are closed.
  #
  # Everything runs in the caller's thread except the resolvers, so
  # Thread#kill and Timeout work as anywhere else.
  class HappyEyeballs
    RESOLUTION_DELAY = 0.05
    CONNECTION_ATTEMPT_DELAY = 0.25
    FAMILIES = [Socket::AF_INET6, Socket::AF_INET].freeze

    class << self
      # Replaces name resolution, for tests: a callable taking
      # (host, port, family, timeout) and returning Addrinfos (or raising),
      # called once per family on its own thread.
      attr_accessor :resolver
    end

    # The default resolution is one AF_UNSPEC getaddrinfo(3): glibc sends the
    # A and AAAA queries of a DNS name in parallel itself, and a name that
    # /etc/hosts answers (localhost) never reaches DNS for the other family,
    # as a separate AF_INET6 query would.
    def self.default_resolve(host, port, timeout)
      Addrinfo.getaddrinfo(host, port, nil, :STREAM, nil, 0, timeout: timeout)
    end

    # A connected Socket. `on_error` turns a connect error into what the
    # caller raises (Socket.tcp and TCPSocket word their messages apart).
    def initialize(host, port, local_host, local_port, connect_timeout: nil, resolv_timeout: nil)
      @host = host
      @port = port
      @local_host = local_host
      @local_port = local_port
      @connect_timeout = connect_timeout
      @resolv_timeout = resolv_timeout
    end

    def connect
      @started = now
      @local_addrinfos = local_addrinfos
      @answers = Queue.new
      @wakeup_r, @wakeup_w = IO.pipe
      @resolvers = start_resolvers
      @pending = { Socket::AF_INET6 => [], Socket::AF_INET => [] }
      @resolved = {}
      @resolution_errors = {}
      @connecting = {}
      @last_attempt_at = nil
      @last_family = nil
      @last_error = nil
      @ipv4_resolved_at = nil
      @connect_deadline = nil
      event_loop
    ensure
      finish
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    def local_addrinfos
      return nil if @local_host.nil? && @local_port.nil?

      resolve = HappyEyeballs.resolver || method(:default_local_resolve)
      resolve.call(@local_host, @local_port, nil, @resolv_timeout)
    end

    def default_local_resolve(host, port, family, timeout)
      Addrinfo.getaddrinfo(host, port, family, :STREAM, nil, 0, timeout: timeout)
    end

    # Only the families that a local address can be bound for are resolved.
    def families
      return FAMILIES unless @local_addrinfos

      FAMILIES.select { |f| @local_addrinfos.any? { |ai| ai.afamily == f } }
    end

    def start_resolvers
      wanted = families
      (FAMILIES - wanted).each { |f| @answers << [f, []] }
      if (resolver = HappyEyeballs.resolver)
        return wanted.map { |f| resolver_thread([f]) { resolver.call(@host, @port, f, @resolv_timeout) } }
      end

      [resolver_thread(wanted) { self.class.default_resolve(@host, @port, @resolv_timeout) }]
    end

    # A thread that resolves with the block and posts its answer (the
    # Addrinfos, or the exception) for each family given; take_answers keeps
    # each family's own addresses.
    def resolver_thread(families)
      Thread.new do
        Thread.current.report_on_exception = false
        answer = begin
          yield
        rescue StandardError => e
          e
        end
        families.each { |family| @answers << [family, answer] }
        @wakeup_w.write_nonblock(".", exception: false)
      end
    end

    def event_loop
      loop do
        take_answers
        if (sock = start_attempts)
          return sock
        end
        raise_failure_if_done
        readable, writable, = IO.select([@wakeup_r], @connecting.keys, nil, wait_time)
        drain_wakeups if readable
        Array(writable).each do |sock|
          done = check_connected(sock)
          return done if done
        end
      end
    end

    def drain_wakeups
      @wakeup_r.read_nonblock(64, exception: false)
    end

    def take_answers
      until @answers.empty?
        family, answer = @answers.pop
        @resolved[family] = true
        if answer.is_a?(Exception)
          @resolution_errors[family] = answer
        else
          @pending[family].concat(answer.select { |ai| ai.afamily == family })
        end
        @ipv4_resolved_at ||= now if family == Socket::AF_INET
      end
    end

    # IPv4 answers wait RESOLUTION_DELAY for IPv6 to answer too.
    def waiting_for_ipv6?
      return false if @resolved[Socket::AF_INET6] || @connecting.any? || @last_attempt_at

      @ipv4_resolved_at && now < @ipv4_resolved_at + RESOLUTION_DELAY
    end

    def next_addrinfo
      order = @last_family == Socket::AF_INET6 ? FAMILIES.reverse : FAMILIES
      family = order.find { |f| @pending[f].any? }
      return nil unless family

      @last_family = family
      @pending[family].shift
    end

    def attempt_due?
      @last_attempt_at.nil? || @connecting.empty? || now >= @last_attempt_at + CONNECTION_ATTEMPT_DELAY
    end

    # Starts as many attempts as are due; a socket when one connected at once.
    def start_attempts
      while attempt_due? && !waiting_for_ipv6? && (ai = next_addrinfo)
        @last_attempt_at = now
        @connect_deadline ||= @connect_timeout && @last_attempt_at + @connect_timeout
        sock = start_attempt(ai)
        return sock if sock
      end
      nil
    end

    def start_attempt(addrinfo)
      sock = Socket.new(addrinfo.pfamily, addrinfo.socktype, addrinfo.protocol)
      if @local_addrinfos
        local = @local_addrinfos.find { |ai| ai.afamily == addrinfo.afamily }
        sock.bind(local)
      end
      case sock.connect_nonblock(addrinfo, exception: false)
      when :wait_writable
        @connecting[sock] = addrinfo
        nil
      else
        sock
      end
    rescue SystemCallError => e
      @last_error = e
      sock&.close
      nil
    end

    # A connecting socket turned writable: connected, or failed.
    def check_connected(sock)
      addrinfo = @connecting.delete(sock)
      begin
        sock.connect_nonblock(addrinfo)
      rescue Errno::EISCONN
        nil
      end
      sock
    rescue SystemCallError => e
      @last_error = e
      sock.close
      nil
    end

    def wait_time
      t = now
      times = []
      times << @ipv4_resolved_at + RESOLUTION_DELAY if waiting_for_ipv6?
      if @connecting.any? && (@pending.values.any?(&:any?))
        times << @last_attempt_at + CONNECTION_ATTEMPT_DELAY
      end
      times << @connect_deadline if @connect_deadline
      times << @started + @resolv_timeout if @resolv_timeout && !all_resolved?
      return nil if times.empty?

      [times.min - t, 0].max
    end

    def all_resolved?
      FAMILIES.all? { |f| @resolved[f] }
    end

    def nothing_to_try?
      @pending.values.all?(&:empty?) && @connecting.empty?
    end

    def raise_failure_if_done
      t = now
      connect_timed_out if @connect_deadline && t >= @connect_deadline && @connecting.any?
      return unless nothing_to_try?

      if @resolv_timeout && !all_resolved? && t >= @started + @resolv_timeout
        raise Errno::ETIMEDOUT, "user specified timeout"
      end
      return unless all_resolved?

      connect_failed(@last_error) if @last_error
      error = @resolution_errors[Socket::AF_INET] || @resolution_errors[Socket::AF_INET6]
      resolution_failed(error) if error
      raise SocketError, "no address to connect to"
    end

    # Socket.tcp's connect_timeout: passed.
    def connect_timed_out
      raise Errno::ETIMEDOUT, "user specified timeout"
    end

    # No family resolved to an address; `error` is a resolver's exception.
    def resolution_failed(error)
      raise error
    end

    # Every address failed; `error` is the last connect error.
    def connect_failed(error)
      raise error
    end

    def finish
      @resolvers&.each(&:kill)
      @connecting&.each_key(&:close)
      @wakeup_r&.close
      @wakeup_w&.close
    end
  end

  # TCPSocket.new's Happy Eyeballs: connect errors are the ones stock's
  # TCPSocket raises on the running Ruby (`connect(2) for "host" port 80`;
  # a connect_timeout is Errno::ETIMEDOUT on 3.1, IO::TimeoutError from
  # 3.3), built by the native library from the errno, not from a message.
  class TCPSocketHappyEyeballs < HappyEyeballs
    private

    def connect_timed_out
      raise TCPSocket.__send__(:__connect_error, Errno::ETIMEDOUT::Errno, @host, @port, true)
    end

    def connect_failed(error)
      raise error unless error.is_a?(SystemCallError)

      raise TCPSocket.__send__(:__connect_error, error.errno, @host, @port, false)
    end

    def resolution_failed(error)
      raise error unless error.is_a?(Socket::ResolutionError)

      raise TCPSocket.__send__(:__resolution_error, error.error_code)
    end
  end
end

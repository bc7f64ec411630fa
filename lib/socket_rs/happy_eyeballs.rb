# frozen_string_literal: true

module SocketRs
  # Happy Eyeballs Version 2 (RFC 8305): connecting to a host given by name,
  # as Ruby 3.4 does it for Socket.tcp (this class) and for TCPSocket.new
  # (TCPSocketHappyEyeballs, below):
  #
  # - each address family is resolved apart, IPv6 first: in the caller's
  #   thread when /etc/hosts answers the name, else on the native resolver
  #   pool (on Ruby threads when Addrinfo.getaddrinfo is redefined or
  #   test_mode_settings: given); when IPv4 answers first, IPv6 gets
  #   RESOLUTION_DELAY more to answer;
  # - addresses are tried alternating families, IPv6 first; a new attempt
  #   starts when the previous one has not finished within
  #   CONNECTION_ATTEMPT_DELAY, and earlier ones keep running; the last
  #   candidate left is connected blocking, with the connect timeout;
  # - the first connection to complete wins and the others are closed; when
  #   everything failed, the last error is raised (a connect error, or a
  #   resolution error that arrived after the other family failed too).
  #
  # The two entry points differ in what they resolve with and how they word
  # errors: the methods under "What the entry point decides" below.
  #
  # All waiting is one IO.select in the caller's thread, so Thread#kill,
  # Timeout and fiber schedulers act on it as on any blocking call; pool
  # lookups are abandoned and resolver threads killed when connect returns
  # or raises.
  class HappyEyeballs
    RESOLUTION_DELAY = 0.05
    CONNECTION_ATTEMPT_DELAY = 0.25
    FAMILIES = { ipv6: Socket::AF_INET6, ipv4: Socket::AF_INET }.freeze
    FOREVER = Float::INFINITY

    def initialize(host, port, local_host, local_port, connect_timeout: nil, resolv_timeout: nil,
                   open_timeout: nil)
      @host = host
      @port = port
      @local_host = local_host
      @local_port = local_port
      @connect_timeout = connect_timeout
      @resolv_timeout = resolv_timeout
      @open_timeout = open_timeout
    end

    # A connected Socket.
    def connect
      @started = now
      @open_deadline = @open_timeout && @started + @open_timeout
      @local_addrinfos = resolve_local if @local_host || @local_port
      @store = Addresses.new(families)
      @connecting = {}
      @last_error = nil
      start_resolution
      run
    ensure
      finish
    end

    private

    def now
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end

    # Seconds from `at` to `deadline`, nil for none (nil or FOREVER).
    def remaining(at, deadline)
      return nil if deadline.nil? || deadline == FOREVER

      [deadline - at, 0].max
    end

    def expired?(at, deadline)
      remaining(at, deadline)&.zero?
    end

    # Only the families a local address was given for are resolved.
    def families
      return FAMILIES.keys unless @local_addrinfos

      wanted = FAMILIES.keys.select { |name| @local_addrinfos.any? { |ai| ai.afamily == FAMILIES[name] } }
      no_local_address if wanted.empty?
      wanted
    end

    def start_resolution
      names = @store.families
      if names.size == 1
        @store.resolved(names.first, resolve_only(FAMILIES[names.first]))
        @resolv_deadline = nil
        return
      end
      return resolve_in_place(names) if in_place?

      @answers = Queue.new
      @resolv_deadline = @resolv_timeout ? @started + @resolv_timeout : FOREVER
      return start_lookups(names) if native_resolution?

      @wakeup_r, @wakeup_w = IO.pipe
      @resolvers = names.map do |name|
        thread = Thread.new { resolve_on_thread(name) }
        Thread.pass
        thread
      end
    end

    # A name /etc/hosts answers is resolved in the caller's thread, family
    # by family, as the hosts file answers each: such a lookup cannot hang,
    # and it costs no thread. A family the file has no entry for is not
    # asked of a name server, as getaddrinfo(3) asks none for an AF_UNSPEC
    # lookup the file answers (what Ruby 3.3 and earlier do).
    def in_place?
      @hosts_families = Addrinfo.__send__(:__hosts_file_families, @host)
      @hosts_families.any? && native_resolution?
    end

    # Whether lookups are made natively, in place or on the resolver pool.
    # Socket.tcp's stay on Ruby threads when Addrinfo.getaddrinfo was
    # redefined: a stub that sleeps must not hold up the caller.
    def native_resolution?
      Addrinfo.method(:getaddrinfo).unbind == Addrinfo.method(:__native_getaddrinfo).unbind
    end

    def resolve_in_place(names)
      names.each do |name|
        next @store.resolved(name, []) unless @hosts_families.include?(FAMILIES[name])

        begin
          @store.resolved(name, resolve_only(FAMILIES[name]))
        rescue Socket::ResolutionError => e
          @store.failed(name, e)
          @last_error = e
        end
      end
      @resolv_deadline = nil
      # Nothing is left to wait for.
      raise_last_error unless @store.any_addrinfos?
    end

    # Lookups that may hang run on the resolver pool, one per family, and
    # the select waits on an IO of each: no thread is started for them.
    # What is answered at once (or fails at once) is taken now.
    def start_lookups(names)
      @lookups = {}
      names.each do |name|
        lookup = begin
          SocketRs::PendingLookup.start(@host, @port, FAMILIES[name])
        rescue StandardError => e
          e
        end
        if lookup.is_a?(SocketRs::PendingLookup)
          @lookups[lookup.io] = [name, lookup]
        else
          @answers << [name, lookup]
        end
      end
      take_answers(now) unless @answers.empty?
      raise_last_error if @store.all_resolved? && !@store.any_addrinfos?
    end

    # The IOs a resolution in progress wakes the select with.
    def resolution_ios
      return nil if @store.all_resolved?

      ios = @wakeup_r ? [@wakeup_r] : @lookups&.keys
      ios unless ios.nil? || ios.empty?
    end

    # A lookup whose IO turned readable: its answer, or what it raised.
    def take_lookup(io)
      name, lookup = @lookups.delete(io)
      return unless name

      io.close
      answer = begin
        lookup.take(@host, @port)
      rescue StandardError => e
        e
      ensure
        lookup.close
      end
      @answers << [name, answer]
    end

    def resolve_on_thread(name)
      Thread.current.report_on_exception = false
      answer = begin
        resolve_family(FAMILIES[name])
      rescue StandardError => e
        e
      end
      @answers << [name, answer]
      @wakeup_w.write_nonblock(".", exception: false)
    end

    def run
      loop do
        sock = start_attempts
        return sock if sock

        readable, writable, = IO.select(resolution_ios, @connecting.keys, nil, select_timeout)
        t = now
        @resolution_delay_at = nil if expired?(t, @resolution_delay_at)
        @attempt_delay_at = nil if expired?(t, @attempt_delay_at)
        sock = check_connections(writable) if writable&.any?
        return sock if sock

        take_answers(t, readable) if readable&.any?
        open_timed_out if expired?(t, @open_deadline)
        raise_if_done(t)
      end
    end

    def select_timeout
      ends_at =
        if @store.any_addrinfos?
          [@resolution_delay_at || @attempt_delay_at, @open_deadline].compact.min
        else
          @open_deadline || [@resolv_deadline, @connect_deadline].compact.max
        end
      remaining(now, ends_at)
    end

    # Starts attempts while one is due: a socket if one connected at once.
    def start_attempts
      return nil unless @store.any_addrinfos? && !@resolution_delay_at && !@attempt_delay_at

      while (addrinfo = @store.next_addrinfo)
        local = nil
        if @local_addrinfos
          local = @local_addrinfos.find { |ai| ai.afamily == addrinfo.afamily }
          unless local
            next if @store.any_addrinfos?
            break if @connecting.any? || @store.unresolved?

            no_local_address
          end
        end
        begin
          return connect_last(addrinfo, local) if last_candidate?

          sock = start_attempt(addrinfo, local)
          return sock unless sock.is_a?(Array)

          sock = sock.first
          t = now
          @attempt_delay_at = t + CONNECTION_ATTEMPT_DELAY
          @connect_deadline = (@connect_timeout ? t + @connect_timeout : FOREVER) if @store.empty_addrinfos?
          @connecting[sock] = addrinfo
          break
        rescue SystemCallError => e
          @last_error = e
          next if @store.any_addrinfos?
          break if @connecting.any? || @store.unresolved?

          raise_last_error
        end
      end
      nil
    end

    def last_candidate?
      @store.empty_addrinfos? && @connecting.empty? && @store.all_resolved?
    end

    # The connect timeout of the last candidate: what is left of
    # open_timeout when that was given.
    def last_connect_timeout(addrinfo)
      return @connect_timeout unless @open_deadline

      left = remaining(now, @open_deadline)
      open_timed_out(addrinfo) if left.zero?
      left
    end

    # The timeout of a lookup made in the caller's thread.
    def lookup_timeout
      @resolv_timeout || (@open_deadline && remaining(now, @open_deadline))
    end

    # Connecting sockets that turned writable: connected, or failed.
    def check_connections(writable)
      writable.each_with_index do |sock, i|
        addrinfo = @connecting.delete(sock)
        errno = TCPSocket.__send__(:__connect_error, sock)
        return sock if errno.zero?

        sock.close
        @last_error = connect_error(addrinfo, errno)
        next if i + 1 < writable.size || @connecting.any?
        raise_last_error unless @store.any_addrinfos? || @store.unresolved?

        @attempt_delay_at = nil
        @connect_deadline = nil
      end
      nil
    end

    def take_answers(at, readable = [])
      if @wakeup_r
        @wakeup_r.read_nonblock(64, exception: false)
      else
        readable.each { |io| take_lookup(io) }
      end
      until @answers.empty?
        name, answer = @answers.pop
        if answer.is_a?(Exception)
          @store.failed(name, answer)
          # A resolution error counts only when the other family did not
          # answer with addresses.
          other = name == :ipv6 ? :ipv4 : :ipv6
          @last_error = answer unless address_family_error?(answer) || @store.resolved_successfully?(other)
        else
          @store.resolved(name, answer)
        end
      end
      return unless @store.resolved?(:ipv4)

      if @store.resolved?(:ipv6)
        @resolution_delay_at = nil
        @resolv_deadline = nil
      elsif @store.resolved_successfully?(:ipv4)
        @resolution_delay_at = at + RESOLUTION_DELAY
      end
    end

    def address_family_error?(error)
      defined?(Socket::EAI_ADDRFAMILY) && error.is_a?(Socket::ResolutionError) &&
        error.error_code == Socket::EAI_ADDRFAMILY
    end

    def raise_if_done(at)
      return if @store.any_addrinfos?

      raise_last_error if @connecting.empty? && @store.all_resolved?
      return unless (expired?(at, @resolv_deadline) || @store.all_resolved?) &&
                    (expired?(at, @connect_deadline) || @connecting.empty?)

      raise timed_out
    end

    # resolv_timeout or connect_timeout passed with nothing connected:
    # Errno::ETIMEDOUT "user specified timeout", from Ruby 4.0
    # IO::TimeoutError naming what was asked for.
    def timed_out
      return Errno::ETIMEDOUT.new("user specified timeout") unless TIMEOUTS_NAME_PLACE

      SocketRs.user_specified_timeout(asked_for)
    end

    # What a timeout names: "localhost:80".
    def asked_for
      "#{@host}:#{@port}"
    end

    def raise_last_error
      error = @last_error || @store.first_error
      raise SocketError, "no address to connect to" unless error

      raise_failure(error)
    end

    def finish
      @resolvers&.each(&:kill)
      @lookups&.each do |io, (_, lookup)|
        io.close
        lookup.close
      end
      @connecting&.each_key(&:close)
      @wakeup_r&.close
      @wakeup_w&.close
    end

    # open_timeout (Ruby 4.0) passed: IO::TimeoutError where the running
    # Ruby has it, naming the address being connected blocking, else what
    # was asked for (attempts in flight are not named, as in 4.0).
    def open_timed_out(addrinfo = nil)
      where = addrinfo ? SocketRs.address_for_message(addrinfo) : asked_for
      raise SocketRs.user_specified_timeout(where)
    end

    # -- What the entry point decides -----------------------------------

    # Socket.tcp resolves through Addrinfo.getaddrinfo, as Ruby 3.4 does, so
    # an application or test that redefines it steers the connection.
    def resolve_local
      Addrinfo.getaddrinfo(@local_host, @local_port, nil, :STREAM, timeout: lookup_timeout)
    end

    def resolve_only(family)
      Addrinfo.getaddrinfo(@host, @port, family, :STREAM, timeout: lookup_timeout)
    end

    def resolve_family(family)
      Addrinfo.getaddrinfo(@host, @port, family, :STREAM)
    end

    def no_local_address
      raise SocketError, "no appropriate local address"
    end

    # A Socket with a connect under way, as [socket] (or the socket when it
    # connected at once).
    def start_attempt(addrinfo, local)
      at_step("socket(2)")
      sock = Socket.new(addrinfo.pfamily, addrinfo.socktype, addrinfo.protocol)
      begin
        bind_local(sock, local) if local
        at_step("connect(2)")
        result = sock.connect_nonblock(addrinfo, exception: false)
      rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
        sock.close
        raise
      end
      result == :wait_writable ? [sock] : sock
    end

    # The system call an attempt is at: TCPSocket names it in its errors.
    def at_step(_syscall); end

    def bind_local(sock, local)
      sock.bind(local)
    end

    def connect_last(addrinfo, local)
      timeout = last_connect_timeout(addrinfo)
      local ? addrinfo.connect_from(local, timeout: timeout) : addrinfo.connect(timeout: timeout)
    rescue Errno::ETIMEDOUT
      open_timed_out(addrinfo) if @open_deadline
      raise
    end

    def connect_error(addrinfo, errno)
      SystemCallError.new("connect(2) for #{SocketRs.address_for_message(addrinfo)}", errno)
    end

    # A resolution error came from a resolver thread: raised anew here, so
    # its backtrace is the caller's, with the original as its cause.
    def raise_failure(error)
      raise error unless @store.error?(error)

      raise error.class, error.message, cause: error
    end

    # The addresses each family resolved to, in the order they are tried.
    class Addresses
      attr_reader :families

      def initialize(families)
        @families = families
        @addrinfos = {}
        @errors = {}
        @last_family = nil
      end

      def resolved(name, addrinfos)
        @addrinfos[name] = addrinfos.dup
      end

      def failed(name, error)
        @addrinfos[name] = []
        @errors[name] = error
      end

      # The next address, alternating families, IPv6 first.
      def next_addrinfo
        order = @last_family == :ipv6 ? %i[ipv4 ipv6] : %i[ipv6 ipv4]
        order.each do |name|
          addrinfo = @addrinfos[name]&.shift
          next unless addrinfo

          @last_family = name
          return addrinfo
        end
        nil
      end

      def empty_addrinfos?
        @addrinfos.values.all?(&:empty?)
      end

      def any_addrinfos?
        !empty_addrinfos?
      end

      def resolved?(name)
        @addrinfos.key?(name)
      end

      def resolved_successfully?(name)
        resolved?(name) && !@errors.key?(name)
      end

      def all_resolved?
        (@families - @addrinfos.keys).empty?
      end

      def unresolved?
        !all_resolved?
      end

      def error?(error)
        @errors.value?(error)
      end

      def first_error
        @families.map { |name| @errors[name] }.compact.first
      end
    end
    private_constant :Addresses
  end

  # TCPSocket.new's Happy Eyeballs, as Ruby 3.4's ipsocket.c does it: names
  # are resolved by the native resolver (redefining Addrinfo.getaddrinfo
  # does not reach it), without AI_ADDRCONFIG, as stock's build; errors
  # name the host and port given (`connect(2) for "localhost" port 80`), or
  # the local ones when binding the local address failed; a failed lookup
  # is a Socket::ResolutionError worded as the running Ruby's TCPSocket words
  # it. The native library builds these from the errno or resolver code.
  #
  # `test_mode_settings:` is Ruby 3.4's hook for its own tests: `delay:
  # { ipv6: ms, ipv4: ms }` holds a family's answer back, `error: { ipv6:
  # code }` replaces it by a failure with that getaddrinfo code.
  class TCPSocketHappyEyeballs < HappyEyeballs
    def initialize(host, port, local_host, local_port, test_mode_settings: nil, **timeouts)
      super(host, port, local_host, local_port, **timeouts)
      @test_delays, @test_errors = TCPSocketHappyEyeballs.test_mode(test_mode_settings)
      @failed_syscall = "connect(2)"
      @failed_at_local = false
    end

    # connect_timeout passed with attempts in flight: on 3.4+ as stock's own
    # Happy Eyeballs words it (Socket.tcp's wording); before, as the running
    # Ruby's sequential TCPSocket words a connect timeout (3.1:
    # Errno::ETIMEDOUT "connect(2) for "localhost" port 80").
    def timed_out
      return super if TCPSOCKET_FAST_FALLBACK || @connecting.empty?

      TCPSocket.__send__(:__connect_timed_out, @host, @port, @connecting.values.last.to_sockaddr)
    end

    # [delays in seconds, getaddrinfo codes], each by family.
    def self.test_mode(settings)
      return [{}, {}] unless settings.is_a?(Hash)

      per_family = lambda do |key|
        value = settings[key]
        next {} if value.nil?

        value = Hash.try_convert(value) || raise(TypeError, "no implicit conversion of #{value.class} into Hash")
        FAMILIES.to_h { |name, family| [family, value[name]] }.compact
      end
      delays = per_family.call(:delay).transform_values { |ms| to_integer(ms) / 1000.0 }
      errors = per_family.call(:error).transform_values { |code| to_integer(code) }
      [delays, errors]
    end

    def self.to_integer(value)
      return value.to_int if value.respond_to?(:to_int)

      raise TypeError, "no implicit conversion of #{value.class} into Integer"
    end

    private

    def native_getaddrinfo(*args)
      Addrinfo.__send__(:__native_getaddrinfo, *args)
    end

    def resolve_local
      native_getaddrinfo(@local_host, @local_port, nil, :STREAM)
    end

    def resolve_only(family)
      native_getaddrinfo(@host, @port, family, :STREAM)
    end

    # Native lookups are unaffected by a redefinition; test_mode_settings:
    # needs the resolver threads it delays.
    def native_resolution?
      @test_delays.empty? && @test_errors.empty?
    end

    # Without AI_ADDRCONFIG: stock's ipsocket.c asks for it only under a
    # macro its extconf never defines, so the built extension never sets it
    # (with it, a host with only loopback addresses resolves nothing).
    def resolve_family(family)
      answer = begin
        native_getaddrinfo(@host, @port, family, :STREAM)
      rescue StandardError => e
        e
      end
      delay = @test_delays[family]
      sleep(delay) if delay&.positive?
      code = @test_errors[family]
      answer = TCPSocket.__send__(:__resolution_error, code) if code
      raise answer if answer.is_a?(Exception)

      answer
    end

    # As ipsocket.c names a host and port: "localhost port 80".
    def asked_for
      "#{@host} port #{@port}"
    end

    def no_local_address
      raise TCPSocket.__send__(:__fail_host_port, Errno::EAFNOSUPPORT::Errno, @failed_syscall,
                               @local_host, @local_port)
    end

    def at_step(syscall)
      @failed_syscall = syscall
    end

    # As ipsocket.c: SO_REUSEADDR before binding the local address.
    def bind_local(sock, local)
      @failed_syscall = "bind(2)"
      sock.setsockopt(Socket::SOL_SOCKET, Socket::SO_REUSEADDR, true)
      @failed_at_local = true
      sock.bind(local)
      @failed_at_local = false
    end

    # The last candidate connects blocking, with connect_timeout: on Ruby
    # 3.4 its timeout is IO::TimeoutError "Connect timed out!".
    def connect_last(addrinfo, local)
      timeout = last_connect_timeout(addrinfo)
      attempt = start_attempt(addrinfo, local)
      return attempt unless attempt.is_a?(Array)

      sock = attempt.first
      begin
        unless sock.wait_writable(timeout)
          open_timed_out(addrinfo) if @open_deadline
          raise TCPSocket.__send__(:__connect_timed_out, @host, @port, addrinfo.to_sockaddr)
        end
        errno = TCPSocket.__send__(:__connect_error, sock)
        raise connect_error(addrinfo, errno) unless errno.zero?
      rescue Exception # rubocop:disable Lint/RescueException -- closed on any exit
        sock.close
        raise
      end
      sock
    end

    def connect_error(_addrinfo, errno)
      @failed_syscall = "connect(2)"
      @failed_at_local = false
      SystemCallError.new("connect(2)", errno)
    end

    def raise_failure(error)
      if error.is_a?(Socket::ResolutionError) && error.error_code
        raise TCPSocket.__send__(:__resolution_error, error.error_code)
      end
      raise error unless error.is_a?(SystemCallError) && !@store.error?(error)

      host, port = @failed_at_local ? [@local_host, @local_port] : [@host, @port]
      raise TCPSocket.__send__(:__fail_host_port, error.errno, @failed_syscall, host, port)
    end
  end

  module_function

  # How Ruby's lib/socket.rb names an address in an error message:
  # "127.0.0.1:80", "[::1]:80".
  def address_for_message(addrinfo)
    ip = addrinfo.ipv6? ? "[#{addrinfo.ip_address}]" : addrinfo.ip_address
    "#{ip}:#{addrinfo.ip_port}"
  end

  # The error of an open_timeout that passed (Ruby 4.0): IO::TimeoutError
  # "user specified timeout for 127.0.0.1:80" (Errno::ETIMEDOUT on Rubies
  # without IO::TimeoutError), built where every exception is.
  def user_specified_timeout(where)
    TCPSocket.__send__(:__open_timeout_error, where)
  end
end

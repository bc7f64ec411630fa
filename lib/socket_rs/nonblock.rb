# frozen_string_literal: true

# The *_nonblock methods, as stock's socket.rb defines them: Ruby wrappers
# that fill in the defaults and take the `exception:` keyword, then call the
# native private __*_nonblock with the keyword's value as a last positional
# argument. Besides matching stock's arity, parameters and error messages,
# this avoids the keyword Hash a C method with `exception:` gets on every
# call (a hot path in event loops).

class BasicSocket < IO
  def recv_nonblock(len, flag = 0, str = nil, exception: true)
    __recv_nonblock(len, flag, str, exception)
  end

  def read_nonblock(len, str = nil, exception: true)
    __read_nonblock(len, str, exception)
  end

  def write_nonblock(buf, exception: true)
    __write_nonblock(buf, exception)
  end
end

class Socket < BasicSocket
  def recvfrom_nonblock(len, flag = 0, str = nil, exception: true)
    __recvfrom_nonblock(len, flag, str, exception)
  end

  def accept_nonblock(exception: true)
    __accept_nonblock(exception)
  end

  def connect_nonblock(addr, exception: true)
    __connect_nonblock(addr, exception)
  end
end

class UDPSocket < IPSocket
  def recvfrom_nonblock(len, flag = 0, outbuf = nil, exception: true)
    __recvfrom_nonblock(len, flag, outbuf, exception)
  end
end

class TCPServer < TCPSocket
  def accept_nonblock(exception: true)
    __accept_nonblock(exception)
  end
end

class UNIXServer < UNIXSocket
  def accept_nonblock(exception: true)
    __accept_nonblock(exception)
  end
end
